/**
 * Masking speed: p50/p99 per request and throughput for 2 KB clean and PII-dense inputs, and the
 * time of adversarial inputs against the engine's budget. Run: `npm run bench:masking`.
 * Targets (issue 4): clean 2 KB p99 ≤ 50 µs, dense 2 KB p99 ≤ 200 µs, ≥ 50 MB/s on clean text.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { createMaskingEngine, DEFAULT_MASKING_RULES, MaskingLimitError, scanEmbeddingsInput, type MaskingEngine } from '../control-plane/src/masking/index.ts';
import { ADVERSARIAL, CLEAN_2KB, DENSE_2KB } from './masking-inputs.ts';

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  /** Young-generation collections during the timed calls: each lands inside one call and adds ~0.15 ms. */
  scavenges: number;
  /** CPU time per call (user + system, all threads): what a request costs when it gets a core to itself. */
  cpu: number;
}

function cpuPerCall(fn: () => void, calls: number): number {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

function measure(fn: () => void, iterations: number, cpuCalls = 10_000): Stats {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) fn(); // warm up the JIT
  const samples = new Float64Array(iterations);
  const gc = new v8.GCProfiler();
  gc.start();
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - start) / 1_000; // µs
  }
  const scavenges = gc.stop().statistics.filter((event) => event.gcType === 'Scavenge').length;
  samples.sort();
  const mean = samples.reduce((a, b) => a + b, 0) / iterations;
  return {
    p50: samples[Math.floor(iterations * 0.5)]!,
    p99: samples[Math.floor(iterations * 0.99)]!,
    mean,
    scavenges,
    cpu: cpuCalls > 0 ? cpuPerCall(fn, cpuCalls) : mean,
  };
}

function report(name: string, bytes: number, stats: Stats, target?: number): void {
  const mbps = bytes / stats.mean; // bytes per µs = MB/s (wall clock)
  const verdict = target === undefined ? '' : stats.p99 <= target ? `  (target p99 ≤ ${target} µs: met)` : `  (target p99 ≤ ${target} µs: MISSED)`;
  const best = `CPU ${stats.cpu.toFixed(1).padStart(6)} µs = ${(bytes / stats.cpu).toFixed(0).padStart(4)} MB/s`;
  const gc = `young GCs ${String(stats.scavenges).padStart(4)}`;
  console.log(`${name.padEnd(34)} p50 ${stats.p50.toFixed(1).padStart(7)} µs  p99 ${stats.p99.toFixed(1).padStart(7)} µs  ${mbps.toFixed(0).padStart(5)} MB/s  ${best}  ${gc}${verdict}`);
}

function benchRequests(engine: MaskingEngine): void {
  const iterations = 20_000;
  report('clean 2 KB scan', CLEAN_2KB.length, measure(() => engine.scan(CLEAN_2KB), iterations), 50);
  report('dense 2 KB scan', DENSE_2KB.length, measure(() => engine.scan(DENSE_2KB), iterations), 200);
  const cleanBody = JSON.stringify({ model: 'text-embedding-3-small', input: CLEAN_2KB });
  const denseBody = JSON.stringify({ model: 'text-embedding-3-small', input: [DENSE_2KB] });
  const fullRequest = (body: string) => () => {
    const parsed = JSON.parse(body) as { model: string; input: string | string[] };
    const result = scanEmbeddingsInput(engine, parsed.input, { model: parsed.model });
    if (result.changed) JSON.stringify({ ...parsed, input: result.input });
  };
  report('clean 2 KB parse+scan+serialise', CLEAN_2KB.length, measure(fullRequest(cleanBody), iterations));
  report('dense 2 KB parse+scan+serialise', DENSE_2KB.length, measure(fullRequest(denseBody), iterations));
}

function benchAdversarial(engine: MaskingEngine): void {
  console.log(`\nadversarial inputs (~64 KB each; budget ${engine.rules.limits.timeBudgetMs} ms):`);
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    let outcome = 'ok';
    const stats = measure(() => {
      try {
        engine.scan(text);
      } catch (err) {
        if (!(err instanceof MaskingLimitError)) throw err;
        outcome = `fails closed (${err.reason})`;
      }
    }, 20, 0);
    const ms = stats.p99 / 1_000;
    console.log(`  ${name.padEnd(26)} ${String(text.length).padStart(6)} chars  p99 ${ms.toFixed(2).padStart(7)} ms  ${outcome}`);
  }
}

const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`masking benchmark — node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, load average ${load}`);
console.log('(p50/p99 are wall-clock per request and include time the OS gives to other processes;');
console.log(' each young GC lands inside one of the 20,000 timed requests: with more than 200, p99 includes a GC pause)\n');
const engine = createMaskingEngine(DEFAULT_MASKING_RULES);
benchRequests(engine);
benchAdversarial(engine);
