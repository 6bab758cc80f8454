/**
 * Masking quality: precision and recall per entity type on the labelled corpus
 * (`test/fixtures/masking/corpus.jsonl`, made by `generate-corpus.ts`). A prediction counts when
 * it has the expected type and overlaps the expected span. Run: `npm run eval:masking`.
 * Targets (issue 4): checksum-validated types recall ≥ 0.99 and precision ≥ 0.98; overall ≥ 0.95 / 0.95.
 * Exits 1 when a target is missed.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMaskingEngine, type Finding } from '../control-plane/src/masking/index.ts';
import type { CorpusRecord, LabelledSpan } from '../test/fixtures/masking/generate-corpus.ts';

const CORPUS = fileURLToPath(new URL('../test/fixtures/masking/corpus.jsonl', import.meta.url));
const CHECKSUM_TYPES = new Set(['CREDIT_CARD', 'IBAN_CODE', 'CRYPTO', 'UK_NHS', 'DE_TAX_ID', 'ES_NIF', 'IN_AADHAAR', 'CA_SIN', 'AU_TFN']);

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

function score(records: readonly CorpusRecord[]): Map<string, Counts> {
  const engine = createMaskingEngine();
  const counts = new Map<string, Counts>();
  const bump = (type: string, key: keyof Counts): void => {
    const c = counts.get(type) ?? { tp: 0, fp: 0, fn: 0 };
    c[key]++;
    counts.set(type, c);
  };
  for (const record of records) {
    const findings: readonly Finding[] = engine.scan(record.text).findings;
    for (const f of findings) {
      bump(f.type, record.spans.some((s: LabelledSpan) => s.type === f.type && overlaps(s, f)) ? 'tp' : 'fp');
    }
    for (const s of record.spans) if (!findings.some((f) => f.type === s.type && overlaps(s, f))) bump(s.type, 'fn');
  }
  return counts;
}

const ratio = (num: number, den: number): number => (den === 0 ? 1 : num / den);

function total(entries: readonly Counts[]): Counts {
  return entries.reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
}

function line(name: string, c: Counts): { precision: number; recall: number } {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  console.log(`${name.padEnd(26)} ${precision.toFixed(3).padStart(9)} ${recall.toFixed(3).padStart(8)} ${String(c.tp).padStart(5)} ${String(c.fp).padStart(5)} ${String(c.fn).padStart(5)}`);
  return { precision, recall };
}

const records = fs
  .readFileSync(CORPUS, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as CorpusRecord);
const counts = score(records);
console.log(`${records.length} records (${records.filter((r) => r.spans.length === 0).length} hard negatives)\n`);
console.log(`${'type'.padEnd(26)} precision   recall    tp    fp    fn`);
let ok = true;
for (const [type, c] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
  const { precision, recall } = line(`${type}${CHECKSUM_TYPES.has(type) ? ' *' : ''}`, c);
  if (CHECKSUM_TYPES.has(type) && (precision < 0.98 || recall < 0.99)) ok = false;
}
console.log('');
const checksum = line('checksum types (*)', total([...counts].filter(([t]) => CHECKSUM_TYPES.has(t)).map(([, c]) => c)));
const overall = line('overall', total([...counts.values()]));
if (checksum.precision < 0.98 || checksum.recall < 0.99 || overall.precision < 0.95 || overall.recall < 0.95) ok = false;
console.log(ok ? '\nall targets met' : '\nTARGET MISSED');
process.exitCode = ok ? 0 : 1;
