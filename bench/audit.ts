/**
 * Audit log benchmark: durable appends/s with group commit and commit latency percentiles on
 * SQLite and PostgreSQL, and `verifyStore` time over a 1M-entry log.
 * Run: npm run bench:audit  (env: BENCH_APPENDS, BENCH_CONCURRENCY, BENCH_RATES (comma-separated), BENCH_VERIFY_ENTRIES,
 * EMBGUARD_BENCH_PG_URL to use an existing PostgreSQL instead of a throwaway cluster).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  openAuditLog,
  openPostgresStore,
  openSqliteStore,
  verifyStore,
  type AuditStore,
  type PendingEntry,
} from '../control-plane/src/audit/index.ts';
import { canonicalJson } from '../control-plane/src/audit/index.ts';
import { generateKeyStrings, parseSignerKey, parseVerifierKey } from '../control-plane/src/signing/index.ts';
import { requestReceived } from '../test/fixtures/audit/events.ts';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres.ts';
import { makeTempDir } from '../test/helpers/tmp.ts';

const APPENDS = Number(process.env.BENCH_APPENDS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const RATES = (process.env.BENCH_RATES ?? '5000,20000').split(',').map(Number);
const VERIFY_ENTRIES = Number(process.env.BENCH_VERIFY_ENTRIES ?? 1_000_000);
const ORIGIN = 'embguard.bench/audit';
const signer = parseSignerKey(generateKeyStrings(ORIGIN).skey);

function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function benchAppends(label: string, store: AuditStore, appends = APPENDS, concurrency = CONCURRENCY): Promise<void> {
  const log = openAuditLog({ store, signer, excerptKey: Buffer.alloc(32, 1), checkpointIntervalMs: 1000 });
  const latencies: number[] = [];
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < appends) {
      const n = issued;
      issued += 1;
      const start = performance.now();
      await log.append(requestReceived(n, n % 4 === 0));
      latencies.push(performance.now() - start);
    }
  };
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await log.close();
  latencies.sort((a, b) => a - b);
  // CPU time per append does not depend on what else the machine runs, unlike wall-clock rates.
  const cpuPerAppendUs = (cpu.user + cpu.system) / appends;
  console.log(
    `${label}: ${appends} durable appends, ${concurrency} in flight: ${Math.round(appends / seconds)} appends/s; ` +
      `commit latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ` +
      `max ${percentile(latencies, 100).toFixed(2)} ms; CPU ${cpuPerAppendUs.toFixed(1)} µs/append`,
  );
}

/**
 * A SQLite store whose writer thread has started and committed once, as in a running processor
 * (which starts it at open): the ~0.2 s thread start is not a commit latency.
 */
async function openWarmSqliteStore(file: string): Promise<AuditStore> {
  const store = openSqliteStore(file, { startWriter: true });
  await store.setCursor('bench-warmup', 0);
  return store;
}

function fsyncMs(dir: string): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const start = performance.now();
  for (let i = 0; i < 100; i += 1) {
    fs.writeSync(fd, 'x'.repeat(4096));
    fs.fsyncSync(fd);
  }
  fs.closeSync(fd);
  fs.rmSync(file);
  return (performance.now() - start) / 100;
}

/** Unmeasured load before every open-loop run: JIT, writer thread and first GCs settle first. */
const WARM_UP_SECONDS = 1;

/**
 * Open-loop load: appends are issued at a fixed rate whatever the latency (like independent client
 * requests), so the latency percentiles are those a request sees at that throughput. The first
 * `WARM_UP_SECONDS` of appends run at the same rate but are not measured, as in `bench:gateway`.
 */
async function benchPaced(label: string, store: AuditStore, ratePerSecond: number, appends = APPENDS): Promise<void> {
  const log = openAuditLog({ store, signer, excerptKey: Buffer.alloc(32, 1), checkpointIntervalMs: 1000 });
  const warmUp = ratePerSecond * WARM_UP_SECONDS;
  const total = warmUp + appends;
  // Preallocated and no promise kept per append: the load generator must not fill the heap the
  // log's own garbage collections then have to walk.
  const latencies = new Float64Array(appends);
  let settled = 0;
  let allSettled!: () => void;
  const finished = new Promise<void>((resolve) => (allSettled = resolve));
  const start = performance.now();
  let issued = 0;
  let measuredFrom = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * ratePerSecond));
    for (; issued < due; issued += 1) {
      if (issued === warmUp) measuredFrom = performance.now();
      const n = issued;
      const t0 = performance.now();
      void log.append(requestReceived(n, n % 4 === 0)).then(() => {
        if (n >= warmUp) latencies[n - warmUp] = performance.now() - t0;
        settled += 1;
        if (settled === total) allSettled();
      });
    }
    await new Promise((r) => setImmediate(r));
  }
  await finished;
  const seconds = (performance.now() - measuredFrom) / 1000;
  await log.close();
  latencies.sort();
  console.log(
    `${label}: offered ${ratePerSecond}/s, completed ${appends} in ${seconds.toFixed(2)} s (${Math.round(appends / seconds)}/s) after ${WARM_UP_SECONDS} s warm-up; ` +
      `commit latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ` +
      `max ${percentile(latencies, 100).toFixed(2)} ms`,
  );
}

async function benchVerify(dir: string): Promise<void> {
  const store = openSqliteStore(path.join(dir, 'verify.db'));
  const template = requestReceived(0);
  const fillStart = performance.now();
  for (let from = 0; from < VERIFY_ENTRIES; from += 10_000) {
    const batch: PendingEntry[] = [];
    for (let i = from; i < Math.min(from + 10_000, VERIFY_ENTRIES); i += 1) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      batch.push({ id, type: template.type, leaf: canonicalJson({ ...template, v: 1, id, time: '2026-01-01T00:00:00.000Z' }) });
    }
    await store.appendBatch(batch);
  }
  const log = openAuditLog({ store, signer, excerptKey: Buffer.alloc(32, 1), checkpointIntervalMs: 0 });
  await log.tick();
  console.log(`filled ${VERIFY_ENTRIES} entries and signed a checkpoint in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
  const start = performance.now();
  const report = await verifyStore(store, { verifiers: [parseVerifierKey(signer.vkey)], origin: ORIGIN });
  const seconds = (performance.now() - start) / 1000;
  console.log(`audit verify: ${report.validEntries}/${report.entries} entries valid in ${seconds.toFixed(1)} s (ok=${report.ok})`);
  await log.close();
}

async function main(): Promise<void> {
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}, load average ${load}`);
  const tmp = makeTempDir('embguard-bench-');
  try {
    console.log(`fsync of this disk: ${fsyncMs(tmp.dir).toFixed(2)} ms (the floor of any durable commit latency)`);
    await benchAppends('SQLite, one writer (commit latency floor)', await openWarmSqliteStore(path.join(tmp.dir, 'one.db')), 2000, 1);
    await benchAppends('SQLite (WAL, synchronous=FULL)', await openWarmSqliteStore(path.join(tmp.dir, 'audit.db')));
    for (const rate of RATES) await benchPaced('SQLite open-loop', await openWarmSqliteStore(path.join(tmp.dir, `paced-${rate}.db`)), rate, Math.min(APPENDS, rate * 5));
    const pgUrl = process.env.EMBGUARD_BENCH_PG_URL;
    if (pgUrl) {
      await benchAppends('PostgreSQL', await openPostgresStore(pgUrl));
    } else if (postgresBinDir()) {
      const cluster = await startPostgres();
      try {
        await benchAppends('PostgreSQL (throwaway local cluster, fsync on)', await openPostgresStore(cluster.url));
      } finally {
        await cluster.stop();
      }
    } else {
      console.log('PostgreSQL: skipped (no server binaries; set EMBGUARD_BENCH_PG_URL)');
    }
    await benchVerify(tmp.dir);
  } finally {
    tmp.cleanup();
  }
}

await main();
