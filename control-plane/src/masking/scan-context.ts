/**
 * What every recognizer may read about the (normalised) text, computed once per scan: the text, a
 * lazily lower-cased copy, and run lengths that let numeric and key-shaped recognizers skip text
 * that cannot hold their entity without running a regex.
 */
export interface ScanContext {
  readonly text: string;
  lower(): string;
  /** Most digits in one run where runs continue over up to two separators (` -./()+`). */
  readonly maxDigitRun: number;
  /** Longest run of ASCII letters and digits. */
  readonly maxAlnumRun: number;
  /** Longest run of hex digits, `:`, `.` and `-` (IPv6, MAC addresses). */
  readonly maxHexColonRun: number;
  /** The current UTC year, for date-of-birth plausibility. */
  readonly currentYear: number;
}

/** A detection before overlap resolution and actions. Offsets index the normalised text. */
export interface Candidate {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly specificity: number;
  /** The canonical value tokens are made from (lower-cased email, E.164 phone, card digits …). */
  readonly canonical: string;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isHexLetter(c: number): boolean {
  return (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

// space - . / ( ) +
function isNumberSeparator(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 47 || c === 40 || c === 41 || c === 43;
}

/** Builds the context in one pass over the text. */
export function createScanContext(text: string, currentYear: number): ScanContext {
  let digitRun = 0;
  let separators = 0;
  let alnumRun = 0;
  let hexRun = 0;
  let maxDigitRun = 0;
  let maxAlnumRun = 0;
  let maxHexColonRun = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const digit = isDigit(c);
    if (digit) {
      digitRun++;
      separators = 0;
      if (digitRun > maxDigitRun) maxDigitRun = digitRun;
    } else if (isNumberSeparator(c) && separators < 2) {
      separators++;
    } else {
      digitRun = 0;
      separators = 0;
    }
    if (digit || isAlpha(c)) {
      alnumRun++;
      if (alnumRun > maxAlnumRun) maxAlnumRun = alnumRun;
    } else {
      alnumRun = 0;
    }
    if (digit || isHexLetter(c) || c === 58 || c === 46 || c === 45) {
      hexRun++;
      if (hexRun > maxHexColonRun) maxHexColonRun = hexRun;
    } else {
      hexRun = 0;
    }
  }
  let lowered: string | undefined;
  return {
    text,
    lower: () => (lowered ??= text.toLowerCase()),
    maxDigitRun,
    maxAlnumRun,
    maxHexColonRun,
    currentYear,
  };
}
