import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReusableScanContext } from '../../../control-plane/src/masking/scan-context.ts';

// The digit-run question gates every numeric recognizer: a wrong "no" would skip a real card or ID.
// The context reads the text only as far as a question needs and resumes there for the next one,
// so every answer is checked against the longest run, whatever order the questions come in.
const DIGIT_RUNS: ReadonlyArray<readonly [string, number]> = [
  ['no digits here', 0],
  ['card 4111 1111 1111 1111 ends', 16],
  ['call (415) 555-0132', 10],
  ['+44 20 7946 0958', 12],
  ['12 / 34', 4], // three separators still join
  ['12 /  34', 2], // four do not
  ['1-2 then 123456789 then 1 2 3', 9],
  ['trailing separators 123--- x', 3],
  ['short 12 then a card 4111 1111 1111 1111 then 123', 16],
  ['4'.repeat(300), 300],
];

describe('scan context: digit runs', () => {
  it.each(DIGIT_RUNS)('%j holds a run of %i digits and no longer', (text, longest) => {
    const ctx = new ReusableScanContext(2026);
    expect(ctx.reset(text).hasDigitRun(longest)).toBe(true);
    expect(ctx.reset(text).hasDigitRun(longest + 1)).toBe(false);
  });

  it('answers every question right in any order, also after a reset', () => {
    const ctx = new ReusableScanContext(2026);
    fc.assert(
      fc.property(fc.constantFrom(...DIGIT_RUNS), fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 8 }), ([text, longest], questions) => {
        ctx.reset(text);
        for (const digits of questions) expect(ctx.hasDigitRun(digits), `${JSON.stringify(text)} ≥ ${digits}`).toBe(longest >= digits);
      }),
    );
  });
});

// The context is reused for every text an engine scans: a prefilter result remembered for one text
// must never answer for the next, or a recognizer could be skipped on a text it was never run on.
describe('scan context: remembered prefilter results', () => {
  it('recalls a result for the same text only', () => {
    const ctx = new ReusableScanContext(2026);
    const prefilter = {};
    ctx.reset('first');
    expect(ctx.recall(prefilter)).toBeUndefined();
    ctx.remember(prefilter, false);
    expect(ctx.recall(prefilter)).toBe(false);
    ctx.reset('second');
    expect(ctx.recall(prefilter)).toBeUndefined();
    ctx.remember(prefilter, true);
    expect(ctx.recall(prefilter)).toBe(true);
    expect(ctx.recall({})).toBeUndefined();
  });

  it('looks characters up again after a reset', () => {
    const ctx = new ReusableScanContext(2026);
    expect(ctx.reset('a@b').hasChar(64)).toBe(true);
    expect(ctx.reset('ab').hasChar(64)).toBe(false);
    expect(ctx.reset('123 456').hasDigitRun(6)).toBe(true);
    expect(ctx.reset('12').hasDigitRun(3)).toBe(false);
  });
});
