import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../control-plane/src/audit/index.ts';

// The `canonicalize` package is the reference: leaves and policy snapshots hashed before the fast
// path must hash the same after it.
const reference = createRequire(import.meta.url)('canonicalize') as (input: unknown) => string | undefined;

const awkwardKey = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('__proto__', '10', '9', '0', '01', '4294967295', '4294967294', '-1', 'toJSON', '\u00e9', 'e\u0301', '\ud83d\ude00', '\uff01'),
);
const jsonData = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(awkwardKey, tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('canonicalJson (RFC 8785)', () => {
  it('writes exactly what the canonicalize package writes, for any JSON data', () => {
    fc.assert(
      fc.property(jsonData, (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('matches the reference for what only its general path handles', () => {
    const date = new Date(Date.UTC(2026, 0, 1));
    for (const value of [{ at: date }, { b: 1, toJSON: () => ({ a: 2 }) }, { 10: 'x', 9: 'y', a: 1 }, [1, undefined, 2], { a: undefined, b: 2 }]) {
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });

  it('orders keys by UTF-16 code units and uses ECMAScript number forms (RFC 8785 §3.2.3, §3.2.2.3)', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4, '\u0080': 5, '\u00f6': 6 })).toBe(
      '{"\\r":2,"1":4,"\u0080":5,"\u00f6":6,"\u20ac":1,"\ud83d\ude00":3}',
    );
    expect(canonicalJson([1e21, 1e-7, -0, 0.000001, 333333333.3333333])).toBe('[1e+21,1e-7,0,0.000001,333333333.3333333]');
  });

  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow();
  });
});
