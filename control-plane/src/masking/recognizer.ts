import type { Candidate, ScanContext } from './scan-context.ts';

/** Finds an entity type (or several that share one pass). `applies` is the cheap prefilter; `find`
 * runs only when it passes. */
export interface Recognizer {
  applies(ctx: ScanContext): boolean;
  find(ctx: ScanContext, out: Candidate[]): void;
}

/** What a text must pass: a regex it must match, or a function answering the same. */
type TextTest = RegExp | ((text: string) => boolean);

/** What every regex recognizer's description has; see `PatternSpec`. */
interface PatternSpecBase {
  readonly type: string;
  /** Higher wins when detections overlap (a connection string over the URL it contains). */
  readonly specificity: number;
  /** Must carry the `g` flag (and `d` when `valueGroup` is set). */
  readonly regex: RegExp;
  /** Prefilter: the text must contain one of these, case-sensitively. */
  readonly literals?: readonly string[];
  /** Prefilter: the text must contain one of these (written in lower case), in any case. */
  readonly lowerLiterals?: readonly string[];
  /** Prefilter: the text must hold a digit run at least this long (see `ScanContext.hasDigitRun`). */
  readonly minDigitRun?: number;
  /** Prefilter: a cheap (non-global) regex the text must match, for shapes literals cannot express,
   * or a function that answers the same. Its result is memoised per text, so recognizers may share one. */
  readonly shape?: TextTest;
  /** Words that must occur near the value, when `needsContext` says so: a regex written in lower
   * case, matched case-insensitively. */
  readonly context?: RegExp;
  /** Shrinks the value's end (trailing punctuation of URLs, …); returns the new length. */
  readonly trim?: (value: string) => number;
  readonly canonical?: (value: string) => string;
}

/** Found by a global `exec` loop: validators may read the match's groups. */
export interface MatchedPatternSpec extends PatternSpecBase {
  readonly starts?: undefined;
  /** The capture group that is the value (the rest of the match is a key or a keyword). */
  readonly valueGroup?: number;
  /** Validator on the candidate value (checksums, ranges). */
  readonly validate?: (value: string, match: RegExpExecArray, ctx: ScanContext, start: number) => boolean;
  /** Whether this candidate needs `context`; absent with `context` set: always. */
  readonly needsContext?: (value: string, match: RegExpExecArray) => boolean;
}

/**
 * Found by trying `regex`, sticky, at each position `starts` finds: exactly the matches a global
 * `exec` loop finds, without a match object for each, for patterns whose validators need only the
 * value. It pays where a pattern matches many runs that its validator rejects: the phone pattern
 * matches dozens of number-like runs in a PII-dense request and keeps a third. Elsewhere the
 * second regex costs more than the match objects it saves: tried on the card, IBAN, IPv4, MAC,
 * NINO and key patterns, each took 30–300 % longer on dense text.
 */
export interface StartedPatternSpec extends PatternSpecBase {
  /** Global; matches one character, the first of every match `regex` can make (and may match more
   * positions than that: `regex` decides). `test/unit/masking/recognizer.test.ts` checks each
   * built-in one against its pattern. */
  readonly starts: RegExp;
  /** Validator on the candidate value (checksums, ranges). */
  readonly validate?: (value: string, ctx: ScanContext, start: number) => boolean;
}

/** A regex recognizer's description; compiled once into a `Recognizer` by `patternRecognizer`. */
export type PatternSpec = MatchedPatternSpec | StartedPatternSpec;

const CONTEXT_BEFORE = 64;
const CONTEXT_AFTER = 32;

/** Whether `context` (case-insensitive) occurs in the text around `[start, end)`. */
export function hasContext(ctx: ScanContext, start: number, end: number, context: RegExp): boolean {
  const before = ctx.text.slice(Math.max(0, start - CONTEXT_BEFORE), start);
  const after = ctx.text.slice(end, end + CONTEXT_AFTER);
  return context.test(before) || context.test(after);
}

/** The same regex, case-insensitive. Searching the text this way, rather than a lower-cased copy
 * of it, saves a copy of every request text and is faster (measured: 1.8 against 4.3 µs for the
 * birth-date words over 2 KB of prose). */
export function caseInsensitive(regex: RegExp): RegExp {
  return regex.ignoreCase ? regex : new RegExp(regex.source, `${regex.flags}i`);
}

/** Special characters of regex source escaped, so `text` matches itself. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A literal and its rarest character: when that character is absent the literal is too. */
interface GatedLiteral {
  readonly literal: string;
  readonly gate: number;
  /** The gate's other case, for literals matched in any case. */
  readonly gateUpper: number;
  /** The literal is its (ASCII) gate alone: an open gate is the whole answer. */
  readonly gateIsLiteral: boolean;
}

// Rough rarity in prose, rarest first; characters not listed count as common.
const RARITY = '_=@:/\\|{}[]<>~^`$#%0123456789-+QXZJKVWYUBGPFHOMCDLNIRSETAqxzjkvwybgpfhmucdlnirseta';

function rarityOf(c: string): number {
  const at = RARITY.indexOf(c);
  return at < 0 ? RARITY.length : at;
}

function gated(literals: readonly string[]): GatedLiteral[] {
  return literals.map((literal) => {
    const rarest = [...literal].reduce((a, b) => (rarityOf(b) < rarityOf(a) ? b : a));
    const gate = rarest.charCodeAt(0);
    return { literal, gate, gateUpper: rarest.toUpperCase().charCodeAt(0), gateIsLiteral: literal.length === 1 && gate < 128 };
  });
}

function gateOpen(ctx: ScanContext, { gate, gateUpper }: GatedLiteral, caseFolded: boolean): boolean {
  return gate >= 128 || ctx.hasChar(gate) || (caseFolded && gateUpper !== gate && ctx.hasChar(gateUpper));
}

function includesAny(ctx: ScanContext, literals: readonly GatedLiteral[]): boolean {
  for (const literal of literals) if (gateOpen(ctx, literal, false) && (literal.gateIsLiteral || ctx.text.includes(literal.literal))) return true;
  return false;
}

/** Whether some literal's rarest character occurs in the text, in either case. */
function anyGateOpenFolded(ctx: ScanContext, literals: readonly GatedLiteral[]): boolean {
  for (const literal of literals) if (gateOpen(ctx, literal, true)) return true;
  return false;
}

/** `test` on the text, run once per text for all the recognizers that share `key`. */
function testOnce(ctx: ScanContext, key: object, test: TextTest): boolean {
  let found = ctx.recall(key);
  if (found === undefined) {
    found = typeof test === 'function' ? test(ctx.text) : test.test(ctx.text);
    ctx.remember(key, found);
  }
  return found;
}

/** `context` is the spec's context regex already made case-insensitive (the recognizer's own). */
function prefilter(spec: PatternSpec, context: RegExp | undefined): (ctx: ScanContext) => boolean {
  const literals = spec.literals && gated(spec.literals);
  const folded = spec.lowerLiterals && {
    // Remembered under the spec's own array, so recognizers sharing one list search once per text.
    key: spec.lowerLiterals,
    literals: gated(spec.lowerLiterals),
    anyOf: new RegExp(spec.lowerLiterals.map(escapeRegex).join('|'), 'i'),
  };
  const shape = spec.shape;
  // A value that always needs a context word nearby cannot be in a text without one anywhere.
  // Remembered under the spec's own regex, so recognizers sharing one test the text once.
  const alwaysNeedsContext = spec.starts !== undefined || spec.needsContext === undefined;
  const requiredContext = spec.context && context && alwaysNeedsContext ? { key: spec.context, regex: context } : undefined;
  return (ctx) => {
    if (literals && !includesAny(ctx, literals)) return false;
    // One case-insensitive search for all the literals, and none when no rarest character occurs.
    if (folded && !(anyGateOpenFolded(ctx, folded.literals) && testOnce(ctx, folded.key, folded.anyOf))) return false;
    if (spec.minDigitRun !== undefined && !ctx.hasDigitRun(spec.minDigitRun)) return false;
    if (shape && !testOnce(ctx, shape, shape)) return false;
    if (requiredContext && !testOnce(ctx, requiredContext.key, requiredContext.regex)) return false;
    return true;
  };
}

/** The global `exec` loop, for patterns whose validators read the match. */
function matchedFind(spec: MatchedPatternSpec, context: RegExp | undefined): Recognizer['find'] {
  const regex = spec.regex;
  return (ctx, out) => {
    regex.lastIndex = 0;
    for (let match = regex.exec(ctx.text); match !== null; match = regex.exec(ctx.text)) {
      if (match[0].length === 0) regex.lastIndex++;
      // Plain numbers and the match's own string, not a [start, end] pair and a second copy of the
      // value: this loop runs for every regex match of every request.
      let start = match.index;
      let value = match[0];
      if (spec.valueGroup !== undefined) {
        const span = match.indices?.[spec.valueGroup];
        if (!span) continue;
        start = span[0];
        value = match[spec.valueGroup]!;
      }
      const end = start + (spec.trim ? spec.trim(value) : value.length);
      if (end <= start) continue;
      if (end - start < value.length) value = value.slice(0, end - start);
      if (spec.validate && !spec.validate(value, match, ctx, start)) continue;
      if (context && (spec.needsContext?.(value, match) ?? true) && !hasContext(ctx, start, end, context)) continue;
      out.push({ type: spec.type, start, end, specificity: spec.specificity, value, canonical: spec.canonical });
    }
  };
}

/** The sticky pattern from each possible start: the same matches, no match objects. */
function startedFind(spec: StartedPatternSpec, context: RegExp | undefined): Recognizer['find'] {
  const starts = spec.starts;
  const sticky = new RegExp(spec.regex.source, `${spec.regex.flags.replace('g', '')}y`);
  return (ctx, out) => {
    const { text } = ctx;
    starts.lastIndex = 0;
    while (starts.test(text)) {
      const start = starts.lastIndex - 1;
      sticky.lastIndex = start;
      if (!sticky.test(text)) continue;
      const matchEnd = sticky.lastIndex;
      // As in a global `exec` loop: the next match begins after this one (an empty one moves on).
      starts.lastIndex = Math.max(matchEnd, start + 1);
      const end = spec.trim ? start + spec.trim(text.slice(start, matchEnd)) : matchEnd;
      if (end <= start) continue;
      const value = text.slice(start, end);
      if (spec.validate && !spec.validate(value, ctx, start)) continue;
      if (context && !hasContext(ctx, start, end, context)) continue;
      out.push({ type: spec.type, start, end, specificity: spec.specificity, value, canonical: spec.canonical });
    }
  };
}

/** Compiles a `PatternSpec` into a recognizer: prefilter, regex, validator, context, canonical form. */
export function patternRecognizer(spec: PatternSpec): Recognizer {
  if (!spec.regex.global) throw new Error(`recognizer ${spec.type}: regex needs the g flag`);
  if (spec.starts && !spec.starts.global) throw new Error(`recognizer ${spec.type}: starts needs the g flag`);
  if (!spec.starts && spec.valueGroup !== undefined && !spec.regex.hasIndices) {
    throw new Error(`recognizer ${spec.type}: valueGroup needs the d flag`);
  }
  const context = spec.context && caseInsensitive(spec.context);
  return {
    applies: prefilter(spec, context),
    find: spec.starts ? startedFind(spec, context) : matchedFind(spec, context),
  };
}
