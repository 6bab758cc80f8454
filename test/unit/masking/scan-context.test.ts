import { describe, expect, it } from 'vitest';
import { createScanContext } from '../../../control-plane/src/masking/scan-context.ts';

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
    expect(createScanContext(text, 2026).maxDigitRun()).toBe(longest);
  });
});
