import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADVERSARIAL, CLEAN_2KB, DENSE_2KB } from '../../../bench/masking-inputs.ts';
import { DIGIT_GROUP_LAYOUTS } from '../../../control-plane/src/masking/builtins.ts';
import { digitGroupRecognizer, type DigitGroupLayout } from '../../../control-plane/src/masking/digit-group-ids.ts';
import { patternRecognizer, type Recognizer } from '../../../control-plane/src/masking/recognizer.ts';
import { ReusableScanContext, type Candidate } from '../../../control-plane/src/masking/scan-context.ts';
import { generateCorpus } from '../../fixtures/masking/generate-corpus.ts';

// The shared pass must find exactly what each identifier's own pattern finds. These are the
// patterns each type had before the pass replaced them, one regex per type: the definition the
// pass is checked against. Aadhaar's also required a first digit of 2–9, which `aadhaarValid`
// checks too; here it does not, since the comparison runs without validators as well.
const OWN_PATTERNS: Readonly<Record<string, RegExp>> = {
  US_SSN: /(?<![\d-]|\d[ -])\d{3}([- ]?)\d{2}\1\d{4}(?!\1\d|[\d-])/g,
  UK_NHS: /(?<![\d-]|\d[ -])\d{3}([ -]?)\d{3}\1\d{4}(?!\1\d|[\d-])/g,
  DE_TAX_ID: /(?<![\d-]|\d[ -])\d{2}( ?)\d{3}\1\d{3}\1\d{3}(?!\1\d|[\d-])/g,
  IN_AADHAAR: /(?<![\d-]|\d[ -])\d{4}([ -]?)\d{4}\1\d{4}(?!\1\d|[\d-])/g,
  CA_SIN: /(?<![\d-]|\d[ -])\d{3}([ -]?)\d{3}\1\d{3}(?!\1\d|[\d-])/g,
  AU_TFN: /(?<![\d-]|\d[ -])\d{3}([ -]?)\d{3}\1\d{3}(?!\1\d|[\d-])/g,
};

/** Each layout as a recognizer of its own pattern, with the same validator and context rule. */
function ownRecognizer(layout: DigitGroupLayout): Recognizer {
  return patternRecognizer({
    type: layout.type,
    specificity: layout.specificity,
    regex: OWN_PATTERNS[layout.type]!,
    validate: layout.validate,
    context: layout.context,
    needsContext: (_value, match) => layout.needsContext(match[1] ?? ''),
  });
}

function findAll(recognizers: readonly Recognizer[], text: string): string[] {
  const out: Candidate[] = [];
  for (const recognizer of recognizers) recognizer.find(new ReusableScanContext(2026).reset(text), out);
  return out.map(({ type, start, end }) => `${type} ${start}-${end}`).sort();
}

// Checksums reject most random digits, which would hide a wrong cluster: compared with and without them.
const ANY_DIGITS = DIGIT_GROUP_LAYOUTS.map((layout) => ({ ...layout, validate: () => true }));

function expectSameFindings(text: string): void {
  for (const layouts of [DIGIT_GROUP_LAYOUTS, ANY_DIGITS]) {
    expect(findAll([digitGroupRecognizer(layouts)], text), JSON.stringify(text)).toEqual(findAll(layouts.map(ownRecognizer), text));
  }
}

describe('digit-group identifiers', () => {
  it('cover every type that has its own pattern', () => {
    expect(DIGIT_GROUP_LAYOUTS.map((layout) => layout.type).sort()).toEqual(Object.keys(OWN_PATTERNS).sort());
  });

  it.each([
    'SSN 536-90-4399',
    'no word near 536-90-4399 nor 943 476 5919 nor 2345 6789 0124 nor 86 095 742 719',
    'ssn 536904399 and 536 90 4399',
    'NHS 943 476 5919, 943-476-5919, 9434765919 patient',
    'Steuer-ID 86 095 742 719 or 86095742719',
    'Aadhaar 2345 6789 0124, 2345-6789-0124 or 234567890124',
    'SIN 046 454 286, TFN 123 456 782',
    'mixed 536-90 4399, longer 536-90-4399-1, 1536-90-4399, 12 536-90-4399, 536 90 4399 7',
    'bare then more 123456789 12 and -123456789 and 123456789-',
  ])('find what their own patterns find in %j', (text) => expectSameFindings(text));

  it('find what their own patterns find in the labelled corpus and the benchmark inputs', () => {
    for (const record of generateCorpus(20, 400)) expectSameFindings(record.text);
    for (const text of [CLEAN_2KB, DENSE_2KB, ...Object.values(ADVERSARIAL).map((t) => t.slice(0, 4096))]) expectSameFindings(text);
  });

  it('find what their own patterns find in clusters of digit groups with random separators and words', () => {
    // Clusters of groups joined by one separator, as identifiers are written, amid random neighbours.
    const group = fc.oneof({ arbitrary: fc.stringMatching(/^\d{2,4}$/), weight: 4 }, fc.stringMatching(/^\d{1,13}$/));
    const separator = fc.constantFrom(' ', '-', '  ', '.', '/', '', ' -');
    const cluster = fc.tuple(fc.array(group, { minLength: 1, maxLength: 5 }), separator).map(([groups, joint]) => groups.join(joint));
    const word = fc.constantFrom('ssn', 'NHS', 'tax', 'aadhaar', 'SIN', 'tfn', 'patient', 'x', '\n');
    const text = fc.array(fc.oneof(cluster, separator, word), { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(fc.property(text, expectSameFindings), { numRuns: 2000 });
  });

  it('are skipped by the prefilter only when no digit run is long enough for any of them', () => {
    const recognizer = digitGroupRecognizer(DIGIT_GROUP_LAYOUTS);
    expect(recognizer.applies(new ReusableScanContext(2026).reset('SIN 046 454 286'))).toBe(true);
    expect(recognizer.applies(new ReusableScanContext(2026).reset('call 046 45 or 42'))).toBe(false);
  });
});
