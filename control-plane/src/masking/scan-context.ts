/**
 * What every recognizer may read about the (normalised) text: the text, a lazily lower-cased copy,
 * and the longest digit run, computed on first use and shared, so numeric recognizers skip text
 * that cannot hold their entity without running their own regex.
 */
export interface ScanContext {
  readonly text: string;
  lower(): string;
  /** Most digits in one run, where a run continues over up to three separators (` -./()+`). */
  maxDigitRun(): number;
  /** The current UTC year, for date-of-birth plausibility. */
  readonly currentYear: number;
  /** Whether ASCII character `code` occurs in the text (memoised): literal prefilters look for
   * their rarest character first, which rules most literals out with one cheap search. */
  hasChar(code: number): boolean;
  /** Prefilter results by prefilter identity, so recognizers sharing one run it once per text. */
  readonly memo: Map<object, boolean>;
}

/** A detection before overlap resolution and actions. Offsets index the normalised text. */
export interface Candidate {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly specificity: number;
  /** The matched value, in normalised text. */
  readonly value: string;
  /** Turns the value into the canonical form tokens are made from (lower-cased email, E.164 phone,
   * card digits …); called only when the finding is tokenized. Absent: the value itself. */
  readonly canonical?: (value: string) => string;
}

// V8's compiled matcher finds the next digit several times faster than a JavaScript loop over
// every character; `test` leaves no match object behind, and the (short) runs are walked in
// JavaScript, so the whole count allocates nothing.
const NEXT_DIGIT = /\d/g;

function isRunSeparator(c: number): boolean {
  return c === 32 || c === 40 || c === 41 || c === 43 || c === 45 || c === 46 || c === 47; // space ( ) + - . /
}

function longestDigitRun(text: string): number {
  let longest = 0;
  NEXT_DIGIT.lastIndex = 0;
  while (NEXT_DIGIT.test(text)) {
    let i = NEXT_DIGIT.lastIndex - 1;
    let digits = 0;
    let separators = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        digits++;
        separators = 0;
      } else if (separators < 3 && isRunSeparator(c)) {
        separators++;
      } else {
        break;
      }
    }
    if (digits > longest) longest = digits;
    NEXT_DIGIT.lastIndex = i;
  }
  return longest;
}

/** Builds the context; everything beyond the text itself is computed on first use. */
export function createScanContext(text: string, currentYear: number): ScanContext {
  let lowered: string | undefined;
  let digitRun: number | undefined;
  const seen = new Int8Array(128).fill(-1);
  return {
    text,
    lower: () => (lowered ??= text.toLowerCase()),
    maxDigitRun: () => (digitRun ??= longestDigitRun(text)),
    currentYear,
    hasChar: (code) => {
      if (seen[code] === -1) seen[code] = text.includes(String.fromCharCode(code)) ? 1 : 0;
      return seen[code] === 1;
    },
    memo: new Map(),
  };
}
