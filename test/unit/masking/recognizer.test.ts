import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADVERSARIAL, CLEAN_2KB, DENSE_2KB } from '../../../bench/masking-inputs.ts';
import { BUILTIN_PATTERN_SPECS, PERSON_HEURISTIC_SPECS } from '../../../control-plane/src/masking/builtins.ts';
import { patternRecognizer, type PatternSpec, type StartedPatternSpec } from '../../../control-plane/src/masking/recognizer.ts';
import { ReusableScanContext, type Candidate } from '../../../control-plane/src/masking/scan-context.ts';
import { generateCorpus } from '../../fixtures/masking/generate-corpus.ts';

// A recognizer with `starts` must find exactly what a global `exec` loop over its pattern finds: a
// `starts` regex that misses a position where the pattern can begin would silently let that value
// through unmasked. Each is compared, before validators and context words (which would hide most
// differences in random text), with the same spec compiled without `starts`.
const STARTED = BUILTIN_PATTERN_SPECS.filter((spec): spec is StartedPatternSpec => spec.starts !== undefined);

function findAll(spec: StartedPatternSpec, text: string, viaStarts: boolean): Candidate[] {
  const unchecked = { ...spec, validate: undefined, context: undefined };
  const recognizer = patternRecognizer(viaStarts ? unchecked : { ...unchecked, starts: undefined });
  const out: Candidate[] = [];
  recognizer.find(new ReusableScanContext(2026).reset(text), out);
  return out;
}

function expectSameMatches(text: string, specs: readonly StartedPatternSpec[] = STARTED): void {
  for (const spec of specs) {
    const label = `${spec.type} ${spec.starts.source}`;
    expect(findAll(spec, text, true).map(({ start, end, value }) => [start, end, value]), label).toEqual(
      findAll(spec, text, false).map(({ start, end, value }) => [start, end, value]),
    );
  }
}

describe('recognizers with starts', () => {
  it('include the phone numbers', () => {
    expect(STARTED.map((spec) => spec.type)).toContain('PHONE_NUMBER');
  });

  // The shortest and barest forms are where a `starts` that asks too much fails first.
  it.each(['123456', '+1234567', '(1)234567', '00 12 345', '1.2.3.4', 'call 555-0132.', '4111 1111 1111 1111', '+44 20 7946 0958'])(
    'find what an exec loop finds in %j',
    (text) => {
      expectSameMatches(text);
      expectSameMatches(` ${text} `);
    },
  );

  it('find what an exec loop finds in the labelled corpus and the benchmark inputs', () => {
    for (const record of generateCorpus(20, 400)) expectSameMatches(record.text);
    for (const text of [CLEAN_2KB, DENSE_2KB, ...Object.values(ADVERSARIAL).map((t) => t.slice(0, 4096))]) expectSameMatches(text);
  });

  // fast-check's `stringMatching` has no lookarounds, word boundaries or back-references: it gets the
  // pattern without them, which yields strings of the pattern's shape (long digit runs with
  // separators, one-digit octets, key prefixes…), and glued to random neighbours the real pattern
  // matches some of them and not others. That is where a too-strict `starts` shows.
  it.each(STARTED.map((spec) => [spec.type, spec] as const))('%s finds what an exec loop finds in text of its own shape', (_type, spec) => {
    const neighbour = fc.constantFrom(' ', '-', '.', ':', '/', '+', '(', ')', '_', 'a', 'Z', '0', '7', '\n', '');
    const text = fc.array(fc.oneof(fc.stringMatching(shapeOf(spec.regex)), neighbour), { maxLength: 6 }).map((parts) => parts.join(''));
    fc.assert(fc.property(text, (sample) => expectSameMatches(sample, [spec])), { numRuns: 300 });
  });
});

// A prefilter that says no to a text its recognizer would find something in lets that value
// through unmasked. Each built-in recognizer's `find` runs regardless of its prefilter here, and
// wherever it finds a candidate the prefilter must have said yes.
function expectPrefilterAdmits(spec: PatternSpec, text: string): void {
  const recognizer = patternRecognizer(spec);
  const found: Candidate[] = [];
  recognizer.find(new ReusableScanContext(2026).reset(text), found);
  if (found.length > 0) expect(recognizer.applies(new ReusableScanContext(2026).reset(text)), `${spec.type} ${spec.regex.source} in ${JSON.stringify(text)}`).toBe(true);
}

const PREFILTERED_SPECS: readonly PatternSpec[] = [...BUILTIN_PATTERN_SPECS, ...PERSON_HEURISTIC_SPECS];

describe('recognizer prefilters', () => {
  it('admit every text of the labelled corpus and the benchmark inputs their recognizer finds something in', () => {
    const texts = [...generateCorpus(20, 400).map((record) => record.text), CLEAN_2KB, DENSE_2KB, ...Object.values(ADVERSARIAL).map((t) => t.slice(0, 4096))];
    for (const spec of PREFILTERED_SPECS) for (const text of texts) expectPrefilterAdmits(spec, text);
  });

  // Checked before validators too: a valid checksum is rare in random text (one IBAN-shaped string
  // in 97 passes mod-97), so with them a prefilter that asks for too much is found only now and then.
  // The phone number's digit-run prefilter counts on its validator: its pattern matches runs of two
  // digits, and a phone number has at least seven.
  it.each(PREFILTERED_SPECS.map((spec) => [spec.type, spec.regex.source.slice(0, 40), spec] as const))(
    '%s (%s…) admits text of its own shape it finds something in, with and without its validator',
    (type, _source, spec) => {
      const neighbour = fc.constantFrom(' ', '-', '.', ':', '=', '/', '_', 'a', 'Z', '0', '\n', '');
      // fast-check generates from case-sensitive patterns only: the pattern's own spelling, then.
      const shape = shapeOf(spec.regex);
      const spelled = new RegExp(shape.source, shape.flags.replace('i', ''));
      const text = fc.array(fc.oneof(fc.stringMatching(spelled), neighbour), { maxLength: 6 }).map((parts) => parts.join(''));
      const specs = type === 'PHONE_NUMBER' ? [spec] : [spec, { ...spec, validate: undefined }];
      fc.assert(fc.property(text, (sample) => specs.forEach((checked) => expectPrefilterAdmits(checked, sample))), { numRuns: 200 });
    },
  );
});

/** `regex` without lookarounds and `\b`, and with back-references as a separator class. */
function shapeOf(regex: RegExp): RegExp {
  const source = regex.source;
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1]!;
      if (!inClass && next === 'b') out += '';
      else if (!inClass && next >= '1' && next <= '9') out += '[ :.-]';
      else out += c + next;
      i++;
    } else if (!inClass && c === '(' && /^\(\?(?:<[!=]|[!=])/.test(source.slice(i))) {
      i = endOfGroup(source, i);
    } else {
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      out += c;
    }
  }
  return new RegExp(out, regex.flags.replace(/[gyd]/g, ''));
}

/** The index of the `)` that closes the group opened at `open`. */
function endOfGroup(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced group in ${source}`);
}

// The two numeric date-of-birth shapes share one pass. It must find exactly what the two patterns
// find on their own, which holds only while no match of one can begin inside a match of the other.
describe('the numeric date-of-birth pass', () => {
  const OWN_PATTERNS = [
    /(?<!\d)((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)/g, // 1985-04-23
    /(?<![\d./-])(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?![\d./-]?\d)/g, // 23/04/1985, 04.23.85
  ];
  const shared = BUILTIN_PATTERN_SPECS.find(
    (spec) => spec.type === 'DATE_OF_BIRTH' && new RegExp(spec.regex.source).test('1985-04-23') && new RegExp(spec.regex.source).test('23/04/1985'),
  )!;

  function spans(regexes: readonly RegExp[], text: string): string[] {
    return regexes.flatMap((regex) => [...text.matchAll(regex)].map((m) => `${m.index}-${m.index + m[0].length}`)).sort();
  }

  function expectSameSpans(text: string): void {
    expect(spans([shared.regex], text), JSON.stringify(text)).toEqual(spans(OWN_PATTERNS, text));
  }

  it('is one of the built-in specs', () => {
    expect(shared).toBeDefined();
  });

  it('finds what the two patterns find in the labelled corpus, the benchmark inputs and edge cases', () => {
    for (const record of generateCorpus(20, 400)) expectSameSpans(record.text);
    for (const text of [CLEAN_2KB, DENSE_2KB, '1985-04-23-05-06', '1985-04-234', '12-04-1985-05-06', '1/2/1985-04-23', '2001-02-03.04.05', '01.02.2003-04-05']) expectSameSpans(text);
  });

  it('finds what the two patterns find in runs of digit groups and date separators', () => {
    const group = fc.oneof(fc.constantFrom('19', '20', '1985', '2001', '04', '4', '23'), fc.stringMatching(/^\d{1,5}$/));
    const joint = fc.constantFrom('-', '.', '/', ' ', '', 'x');
    const dateLike = fc.tuple(group, joint, group, joint, group).map((parts) => parts.join(''));
    const text = fc.array(fc.oneof(dateLike, group, joint), { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(fc.property(text, expectSameSpans), { numRuns: 3000 });
  });
});
