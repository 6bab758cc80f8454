import { describe, expect, it } from 'vitest';
import { ReusableScanContext } from '../../../control-plane/src/masking/scan-context.ts';

// The longest digit run gates every numeric recognizer: an undercount would skip a real card or ID.
describe('scan context: longest digit run', () => {
  it.each([
    ['no digits here', 0],
    ['card 4111 1111 1111 1111 ends', 16],
    ['call (415) 555-0132', 10],
    ['+44 20 7946 0958', 12],
    ['12 / 34', 4], // three separators still join
    ['12 /  34', 2], // four do not
    ['1-2 then 123456789 then 1 2 3', 9],
    ['trailing separators 123--- x', 3],
    ['4'.repeat(300), 300],
  ])('%j → %i', (text, longest) => {
    expect(new ReusableScanContext(2026).reset(text).maxDigitRun()).toBe(longest);
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
    expect(ctx.reset('123 456').maxDigitRun()).toBe(6);
    expect(ctx.reset('12').maxDigitRun()).toBe(2);
  });
});
