/**
 * Fan-out benchmark of the xDS server: time from `setSnapshot` to the ACK of every one of N
 * simulated Envoys (scripted grpc-js ADS clients subscribed to CDS, LDS and RDS, ACKing at once).
 * Target: ≤ 1 s for 50 clients. Run: `npm run bench:xds-fanout [-- <clients> <rounds>]`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../control-plane/src/clock/index.ts';
import { silentLogger } from '../control-plane/src/log/index.ts';
import { buildGatewaySnapshot, makeVersion, TYPE_URLS, startXdsServer, type XdsEvent } from '../control-plane/src/xds/index.ts';
import { ScriptedAdsClient } from '../test/helpers/ads-client.ts';
import { sampleGatewayInput } from '../test/fixtures/xds/gateway.ts';

const CLIENTS = Number(process.argv[2] ?? 50);
const ROUNDS = Number(process.argv[3] ?? 20);
const SUBSCRIPTIONS = [
  { type_url: TYPE_URLS.cluster, resource_names: [] as string[] },
  { type_url: TYPE_URLS.listener, resource_names: [] as string[] },
  { type_url: TYPE_URLS.route, resource_names: ['embguard_routes'] },
];
const TYPES_PER_CLIENT = SUBSCRIPTIONS.length;

function snapshot(seq: number) {
  const hash = seq.toString(16).padStart(12, '0');
  // A different upstream port each round, so every round is a real change.
  return buildGatewaySnapshot(makeVersion(seq, hash), sampleGatewayInput({ upstreams: [{ name: 'demo', host: '127.0.0.1', port: 20000 + seq }] }));
}

/** Plays Envoy: ACKs every response it gets with the names it subscribed to. */
async function autoAck(client: ScriptedAdsClient, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const response = await client.next(60_000).catch(() => undefined);
    if (!response) continue;
    const names = SUBSCRIPTIONS.find((s) => s.type_url === response.type_url)?.resource_names ?? [];
    client.ack(response, names);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const xds = await startXdsServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), clock: systemClock });
  let acks = new Map<string, number>();
  let waiting: { version: string; resolve: () => void } | undefined;
  xds.onEvent((event: XdsEvent) => {
    if (event.kind !== 'xds.ack' || !waiting || event.version !== waiting.version) return;
    acks.set(event.nodeId, (acks.get(event.nodeId) ?? 0) + 1);
    const done = [...acks.values()].filter((n) => n === TYPES_PER_CLIENT).length;
    if (done === CLIENTS) waiting.resolve();
  });
  const allAcked = (version: string) =>
    new Promise<void>((resolve) => {
      acks = new Map();
      waiting = { version, resolve };
    });

  let stopped = false;
  const clients = Array.from({ length: CLIENTS }, () => new ScriptedAdsClient(xds.port));
  const first = snapshot(1);
  const initial = allAcked(first.version);
  xds.setSnapshot(first);
  const loops = clients.map((client, i) => {
    SUBSCRIPTIONS.forEach((s, j) => client.send({ ...(j === 0 ? { node: { id: `bench-${i}` } } : {}), ...s }));
    return autoAck(client, () => stopped);
  });
  await initial;

  const durations: number[] = [];
  for (let round = 2; round < ROUNDS + 2; round++) {
    const next = snapshot(round);
    const acked = allAcked(next.version);
    const start = performance.now();
    xds.setSnapshot(next);
    await acked;
    durations.push(performance.now() - start);
  }
  stopped = true;
  for (const client of clients) client.close();
  await Promise.allSettled(loops);
  await xds.close();

  const sorted = [...durations].sort((a, b) => a - b);
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  process.stdout.write(
    [
      `xds fan-out: ${CLIENTS} ADS clients × ${TYPES_PER_CLIENT} types (CDS, LDS, RDS), ${ROUNDS} snapshot changes`,
      `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} ×${os.cpus().length}, node ${process.version}`,
      `setSnapshot → all ACKed: p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}  max ${ms(sorted.at(-1) ?? NaN)}  (target ≤ 1000 ms)`,
      `verdict: ${(sorted.at(-1) ?? Infinity) <= 1000 ? 'PASS' : 'FAIL'}`,
    ].join('\n') + '\n',
  );
}

await main();
