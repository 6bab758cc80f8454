import { caseInsensitive, hasContext, type Recognizer } from './recognizer.ts';
import type { Candidate, ScanContext } from './scan-context.ts';
import { digitsOf } from './validators.ts';

/*
 * National identifiers written as groups of digits (SSN 536-90-4399, NHS 943 476 5919, …) are found
 * by one regex pass for all of them: six passes, one per type, were about 14 µs of a PII-dense 2 KB
 * scan. The pass finds every cluster of digit groups such an identifier can be, bounded as each
 * type's own pattern would bound it, and every layout whose groups fit the cluster takes it.
 */

/** One identifier's written form, its checksum and when it needs a context word nearby. */
export interface DigitGroupLayout {
  readonly type: string;
  readonly specificity: number;
  /** Digits per group when it is written with a separator; bare, it is their sum in one run. */
  readonly groups: readonly number[];
  /** The separators it may be written with (one of them throughout), besides none. */
  readonly separators: string;
  /** Checksum and ranges, on the value as written (its separators skipped). */
  readonly validate: (value: string) => boolean;
  /** Words (written in lower case, matched in any case) that must occur near it when `needsContext` says so. */
  readonly context: RegExp;
  /** Whether a value written with `separator` (`''`: bare digits) needs a context word. */
  readonly needsContext: (separator: string) => boolean;
}

/** A layout compiled for matching: its digit count, its separators' codes, its context made case-insensitive. */
interface CompiledLayout extends DigitGroupLayout {
  readonly digits: number;
  readonly separatorCodes: readonly number[];
  readonly contextAnyCase: RegExp;
}

/** Group lengths (each under 16) packed four bits apiece, first group highest. */
function pack(groups: readonly number[]): number {
  let packed = 0;
  for (const length of groups) packed = packed * 16 + length;
  return packed;
}

/** The packed group lengths of a separated cluster `[start, end)` of `text`. */
function packedGroupsOf(text: string, start: number, end: number): number {
  let packed = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      length++;
    } else {
      packed = packed * 16 + length;
      length = 0;
    }
  }
  return packed * 16 + length;
}

/**
 * The pattern every layout's clusters match: a bare run as long as some layout's digits, or groups as
 * long as some layout's with one separator throughout. Either way it starts where no digit or dash
 * (nor a digit and a separator) comes before and ends where none comes after, so a cluster is always
 * taken whole: a longer number is never read as an identifier inside it.
 */
function clusterRegex(layouts: readonly CompiledLayout[]): RegExp {
  const groupLengths = layouts.flatMap((layout) => layout.groups);
  const groupCounts = layouts.map((layout) => layout.groups.length);
  const bareLengths = layouts.map((layout) => layout.digits);
  const separators = [...new Set(layouts.flatMap((layout) => [...layout.separators]))].join('').replace('-', '\\-');
  const group = `\\d{${Math.min(...groupLengths)},${Math.max(...groupLengths)}}`;
  const bare = `\\d{${Math.min(...bareLengths)},${Math.max(...bareLengths)}}`;
  const separated = `${group}([${separators}])${group}(?:\\1${group}){${Math.min(...groupCounts) - 2},${Math.max(...groupCounts) - 2}}`;
  // Bare, the back-reference to the unset group matches nothing, so `\1\d` is a digit.
  return new RegExp(`(?<![\\d-]|\\d[${separators}])(?:${bare}|${separated})(?!\\1\\d|[\\d-])`, 'g');
}

/** The recognizer for `layouts`: one pass, then the layouts of the cluster's shape, their checksum
 * and context words. */
export function digitGroupRecognizer(layouts: readonly DigitGroupLayout[]): Recognizer {
  const compiled: readonly CompiledLayout[] = layouts.map((layout) => ({
    ...layout,
    digits: layout.groups.reduce((a, b) => a + b, 0),
    separatorCodes: [...layout.separators].map((s) => s.charCodeAt(0)),
    contextAnyCase: caseInsensitive(layout.context),
  }));
  // Most clusters fit no layout (phone numbers, cards, short groups): one lookup rules them out.
  // A separated cluster is keyed by its packed groups, a bare one by minus its length.
  const byShape = new Map<number, CompiledLayout[]>();
  for (const layout of compiled) {
    for (const key of [pack(layout.groups), -layout.digits]) byShape.set(key, [...(byShape.get(key) ?? []), layout]);
  }
  const fewestDigits = Math.min(...compiled.map((layout) => layout.digits));
  const regex = clusterRegex(compiled);
  return {
    applies: (ctx) => ctx.hasDigitRun(fewestDigits),
    find(ctx: ScanContext, out: Candidate[]) {
      const { text } = ctx;
      regex.lastIndex = 0;
      for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
        const value = match[0];
        const start = match.index;
        const end = start + value.length;
        const separator = match[1] ?? '';
        const separatorCode = separator === '' ? 0 : separator.charCodeAt(0);
        const fitting = byShape.get(separatorCode === 0 ? -value.length : packedGroupsOf(text, start, end));
        if (fitting === undefined) continue;
        for (const layout of fitting) {
          if (separatorCode !== 0 && !layout.separatorCodes.includes(separatorCode)) continue;
          if (!layout.validate(value)) continue;
          if (layout.needsContext(separator) && !hasContext(ctx, start, end, layout.contextAnyCase)) continue;
          out.push({ type: layout.type, start, end, specificity: layout.specificity, value, canonical: digitsOf });
        }
      }
    },
  };
}
