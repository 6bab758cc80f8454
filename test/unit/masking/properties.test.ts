import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskingEngine } from '../../../control-plane/src/masking/index.ts';
import { generateCorpus } from '../../fixtures/masking/generate-corpus.ts';

const engine = createMaskingEngine();
const positives = generateCorpus(3, 0);
const fillers = ['', ' ', 'note: ', 'x', '\u200b', '１２', 'Re: ', '\n', 'ok. ', 'Ünïcödé ', '😀 ', 'ﬁle ', '＠', '\ud800'];

// Texts made of labelled sentences (each holding one known value) and filler, in random order.
const texts = fc
  .array(fc.oneof(fc.constantFrom(...positives.map((r) => r.text)), fc.constantFrom(...fillers), fc.string({ maxLength: 20 }), fc.string({ maxLength: 12, unit: 'binary' })), { maxLength: 8 })
  .map((parts) => parts.join(' '));

describe('masking properties', () => {
  it('is idempotent: masking masked text changes nothing', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const once = engine.scan(text).masked;
        expect(engine.scan(once).masked).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('never leaves a finding value in the output', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const { masked, findings } = engine.scan(text);
        for (const f of findings) {
          const value = text.slice(f.start, f.end);
          if (value.length >= 6) expect(masked).not.toContain(value);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports sorted, non-overlapping offsets inside the original string whose replacement rebuilds the output', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const { masked, findings } = engine.scan(text);
        let rebuilt = '';
        let cursor = 0;
        for (const f of findings) {
          expect(f.start).toBeGreaterThanOrEqual(cursor);
          expect(f.end).toBeGreaterThan(f.start);
          expect(f.end).toBeLessThanOrEqual(text.length);
          rebuilt += `${text.slice(cursor, f.start)}<${f.type}>`;
          cursor = f.end;
        }
        expect(rebuilt + text.slice(cursor)).toBe(masked);
      }),
      { numRuns: 300 },
    );
  });

  // Digit fillers are left out here: a value followed by more digit groups is part of a longer number.
  const wordFillers = fillers.filter((f) => !/\p{N}/u.test(f));

  it('finds every labelled value wherever it is placed among other text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...positives), fc.constantFrom(...wordFillers), fc.constantFrom(...wordFillers), (record, before, after) => {
        const text = `${before} ${record.text} ${after}`;
        const offset = before.length + 1;
        const span = record.spans[0]!;
        const hit = engine.scan(text).findings.find((f) => f.type === span.type);
        expect(hit, text).toBeDefined();
        expect(hit!.start).toBeLessThanOrEqual(span.start + offset);
        expect(hit!.end).toBeGreaterThanOrEqual(span.end + offset);
      }),
      { numRuns: 300 },
    );
  });
});
