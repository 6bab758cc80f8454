/**
 * What every recognizer may read about the (normalised) text: the text and whether it holds a long
 * enough digit run, computed on first use and shared, so numeric recognizers skip text that cannot
 * hold their entity without running their own regex.
 */
export interface ScanContext {
  readonly text: string;
  /** Whether some run holds at least `digits` digits, where a run continues over up to three
   * separators (` -./()+`). */
  hasDigitRun(digits: number): boolean;
  /** The current UTC year, for date-of-birth plausibility. */
  readonly currentYear: number;
  /** Whether ASCII character `code` occurs in the text (memoised): literal prefilters look for
   * their rarest character first, which rules most literals out with one cheap search. */
  hasChar(code: number): boolean;
  /** A prefilter result remembered for this text under the prefilter's identity (`undefined`: not
   * yet), so recognizers sharing one run it once per text. */
  recall(prefilter: object): boolean | undefined;
  remember(prefilter: object, result: boolean): void;
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

/** Text numbers stay small integers even when doubled, so stored results are never heap numbers. */
const TEXT_NUMBER_MASK = 0x1fffffff;

/**
 * The context an engine reuses for every text it scans, reset per text; everything beyond the
 * text itself is computed on first use. A scan is synchronous, so one context per engine is enough,
 * and a new one per text was about 1.5 KB of garbage per request (closures, character table, map).
 */
export class ReusableScanContext implements ScanContext {
  text = '';
  readonly currentYear: number;
  /** Per prefilter: the text's number times two, plus one when the result was true. The keys are a
   * few long-lived objects, so after the first texts nothing is allocated here. */
  readonly #results = new Map<object, number>();
  #textNumber = 0;
  /** The longest digit run before `#digitRunScanned`: the text is read only as far as a question
   * needs, so PII-dense text, whose first card number answers every question, is hardly read. */
  #longestDigitRun = 0;
  #digitRunScanned = 0;
  /** Per ASCII code: -1 not looked up yet, 0 absent, 1 present. */
  readonly #seen = new Int8Array(128).fill(-1);

  constructor(currentYear: number) {
    this.currentYear = currentYear;
  }

  /** Starts over on `text`. */
  reset(text: string): this {
    this.text = text;
    this.#longestDigitRun = 0;
    this.#digitRunScanned = 0;
    this.#seen.fill(-1);
    this.#textNumber = (this.#textNumber + 1) & TEXT_NUMBER_MASK;
    if (this.#textNumber === 0) {
      // Wrapped around: results stored under an old text's number must never be taken for this one's.
      this.#results.clear();
      this.#textNumber = 1;
    }
    return this;
  }

  /** Lets go of the text, so no request text stays reachable from the engine between scans. */
  release(): void {
    this.text = '';
  }

  recall(prefilter: object): boolean | undefined {
    const entry = this.#results.get(prefilter);
    return entry !== undefined && entry >> 1 === this.#textNumber ? (entry & 1) === 1 : undefined;
  }

  remember(prefilter: object, result: boolean): void {
    this.#results.set(prefilter, (this.#textNumber << 1) | (result ? 1 : 0));
  }

  hasDigitRun(digits: number): boolean {
    NEXT_DIGIT.lastIndex = this.#digitRunScanned;
    while (this.#longestDigitRun < digits && NEXT_DIGIT.test(this.text)) NEXT_DIGIT.lastIndex = this.#readDigitRun(NEXT_DIGIT.lastIndex - 1);
    // A failed `test` rewinds `lastIndex`; the text was then read to its end.
    this.#digitRunScanned = this.#longestDigitRun >= digits ? NEXT_DIGIT.lastIndex : this.text.length;
    return this.#longestDigitRun >= digits;
  }

  /** Counts the digits of the run that starts at `start` into the longest so far; returns where the
   * run ends (after up to three trailing separators). */
  #readDigitRun(start: number): number {
    const { text } = this;
    let i = start;
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
    if (digits > this.#longestDigitRun) this.#longestDigitRun = digits;
    return i;
  }

  hasChar(code: number): boolean {
    if (this.#seen[code] === -1) this.#seen[code] = this.text.includes(String.fromCharCode(code)) ? 1 : 0;
    return this.#seen[code] === 1;
  }
}
