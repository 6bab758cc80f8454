/**
 * Masking speed: p50/p99 per request and throughput for 2 KB clean and PII-dense inputs, and the
 * time of adversarial inputs against the engine's budget. Run: `npm run bench:masking`.
 * Targets (issue 4): clean 2 KB p99 ≤ 50 µs, dense 2 KB p99 ≤ 200 µs, ≥ 50 MB/s on clean text.
 */
import os from 'node:os';
import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { PROCESSOR_YOUNG_GENERATION_MB, youngGenerationMb } from '../control-plane/src/app/index.ts';
import { createMaskingEngine, DEFAULT_MASKING_RULES, MaskingLimitError, scanEmbeddingsInput, type MaskingEngine } from '../control-plane/src/masking/index.ts';
import { ADVERSARIAL, CLEAN_2KB, DENSE_2KB } from './masking-inputs.ts';

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  /** Young-generation collections during the timed calls: each lands inside one call and adds ~0.15 ms. */
  scavenges: number;
  /** p99 of the calls no young collection landed in: the engine's own tail. */
  p99WithoutGc: number;
  /** p99 / p50 of a fixed task of about the same length, timed between the calls: how much of the
   * tail is the machine (another process, the hypervisor) rather than the code. */
  machineSpread: number;
  /** CPU time per call (user + system, all threads): what a request costs when it gets a core to itself. */
  cpu: number;
}

function cpuPerCall(fn: () => void, calls: number): number {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const sorted = (values: Float64Array): Float64Array => values.slice().sort();
const quantile = (values: Float64Array, q: number): number => values[Math.min(values.length - 1, Math.floor(values.length * q))]!;

/** Kept so the compiler cannot drop `fixedTask`'s loop as unused. */
let fixedTaskSink = 0;

/** A task that allocates nothing and takes the same time on every call, about `rounds` × 1 ns. */
function fixedTask(rounds: number): void {
  let x = 1;
  for (let i = 0; i < rounds; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  fixedTaskSink ^= x;
}

/** Rounds of `fixedTask` that take about `micros` µs. */
function calibrate(micros: number): number {
  let rounds = 1000;
  for (;;) {
    const start = performance.now();
    fixedTask(rounds);
    const took = (performance.now() - start) * 1000;
    if (took >= micros / 2) return Math.max(1, Math.round((rounds * micros) / took));
    rounds *= 2;
  }
}

/** Young collections (start time, ms) reported for what just ran; they arrive after a turn of the event loop. */
async function youngCollections(observer: () => PerformanceEntry[]): Promise<number[]> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return observer()
    .filter((entry) => (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
    .map((entry) => entry.startTime);
}

async function measure(fn: () => void, iterations: number): Promise<Stats> {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) fn(); // warm up the JIT
  const starts = new Float64Array(iterations);
  const samples = new Float64Array(iterations);
  const control = new Float64Array(iterations);
  const rounds = calibrate(quantile(sorted(new Float64Array(200).map(() => timeOnce(fn))), 0.5));
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < iterations; i++) {
    starts[i] = performance.now();
    fn();
    const end = performance.now();
    samples[i] = (end - starts[i]!) * 1000; // µs
    fixedTask(rounds);
    control[i] = (performance.now() - end) * 1000;
  }
  const collections = await youngCollections(() => entries);
  observer.disconnect();
  const withGc = new Set(collections.map((time) => callAt(starts, samples, time)).filter((index) => index >= 0));
  const all = sorted(samples);
  const controls = sorted(control);
  return {
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    mean: samples.reduce((a, b) => a + b, 0) / iterations,
    scavenges: collections.length,
    p99WithoutGc: quantile(sorted(samples.filter((_, index) => !withGc.has(index))), 0.99),
    machineSpread: quantile(controls, 0.99) / quantile(controls, 0.5),
    cpu: cpuPerCall(fn, 10_000),
  };
}

function timeOnce(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) * 1000;
}

/** The index of the call running at `time` (ms), or -1 (the collection fell between calls). */
function callAt(starts: Float64Array, micros: Float64Array, time: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= time) low = mid;
    else high = mid - 1;
  }
  return starts[low]! <= time && time <= starts[low]! + micros[low]! / 1000 ? low : -1;
}

function report(name: string, bytes: number, stats: Stats, target?: number): void {
  const mbps = bytes / stats.mean; // bytes per µs = MB/s (wall clock)
  const verdict = target === undefined ? '' : stats.p99 <= target ? `  (target p99 ≤ ${target} µs: met)` : `  (target p99 ≤ ${target} µs: MISSED)`;
  const best = `CPU ${stats.cpu.toFixed(1).padStart(6)} µs = ${(bytes / stats.cpu).toFixed(0).padStart(4)} MB/s`;
  const gc = `young GCs ${String(stats.scavenges).padStart(4)}`;
  console.log(`${name.padEnd(34)} p50 ${stats.p50.toFixed(1).padStart(7)} µs  p99 ${stats.p99.toFixed(1).padStart(7)} µs  ${mbps.toFixed(0).padStart(5)} MB/s  ${best}  ${gc}${verdict}`);
  const tail = `p99 without the calls a young GC landed in ${stats.p99WithoutGc.toFixed(1)} µs`;
  console.log(`${''.padEnd(34)} ${tail}; a fixed task timed between the calls: p99 ${stats.machineSpread.toFixed(2)}× its p50`);
}

async function benchRequests(engine: MaskingEngine): Promise<void> {
  const iterations = 20_000;
  report('clean 2 KB scan', CLEAN_2KB.length, await measure(() => engine.scan(CLEAN_2KB), iterations), 50);
  report('dense 2 KB scan', DENSE_2KB.length, await measure(() => engine.scan(DENSE_2KB), iterations), 200);
  const cleanBody = JSON.stringify({ model: 'text-embedding-3-small', input: CLEAN_2KB });
  const denseBody = JSON.stringify({ model: 'text-embedding-3-small', input: [DENSE_2KB] });
  const fullRequest = (body: string) => () => {
    const parsed = JSON.parse(body) as { model: string; input: string | string[] };
    const result = scanEmbeddingsInput(engine, parsed.input, { model: parsed.model });
    if (result.changed) JSON.stringify({ ...parsed, input: result.input });
  };
  report('clean 2 KB parse+scan+serialise', CLEAN_2KB.length, await measure(fullRequest(cleanBody), iterations));
  report('dense 2 KB parse+scan+serialise', DENSE_2KB.length, await measure(fullRequest(denseBody), iterations));
}

function benchAdversarial(engine: MaskingEngine): void {
  console.log(`\nadversarial inputs (~64 KB each; budget ${engine.rules.limits.timeBudgetMs} ms):`);
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    let outcome = 'ok';
    const scan = () => {
      try {
        engine.scan(text);
      } catch (err) {
        if (!(err instanceof MaskingLimitError)) throw err;
        outcome = `fails closed (${err.reason})`;
      }
    };
    const ms = Math.max(...Array.from({ length: 20 }, () => timeOnce(scan))) / 1_000;
    console.log(`  ${name.padEnd(26)} ${String(text.length).padStart(6)} chars  slowest of 20 ${ms.toFixed(2).padStart(7)} ms  ${outcome}`);
  }
}

const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`masking benchmark — node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, load average ${load}`);
console.log(`young generation ${youngGenerationMb()} MB per semi-space (the processor's is at least ${PROCESSOR_YOUNG_GENERATION_MB} MB: control-plane/bin/embguard.js)`);
console.log('(p50/p99 are wall-clock per request and include time the OS gives to other processes;');
console.log(' each young GC lands inside one of the 20,000 timed requests: with more than 200, p99 includes a GC pause)\n');
const engine = createMaskingEngine(DEFAULT_MASKING_RULES);
await benchRequests(engine);
benchAdversarial(engine);
