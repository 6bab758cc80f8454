/**
 * Gateway overhead benchmark: the same demo upstream reached (a) directly, (b) through a plain
 * Envoy with only the router, and (c) through embguard (jwt_authn + ext_proc: identity, access
 * decision, masking, durable audit append; control plane and processor as separate processes).
 * A fourth target is the floor under (c): embguard's own Envoy configuration (the same ext_proc
 * filter and modes, from the same builders and xDS server) without jwt_authn, in front of a
 * processor that answers every message at once and does nothing else.
 * Open-loop fixed-rate runs give latency (scheduled send → response end, so a stall counts for
 * every request it delays); autocannon at saturation gives throughput; /proc gives CPU time of
 * the serving processes. Then the xDS fan-out benchmark. Not a test: prints numbers.
 *
 * Run: `npm run bench:gateway [-- --quick]`. Results: a table on stdout and `bench/results/gateway-<time>.json`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { PROJECT_ROOT } from '../control-plane/src/config/index.ts';
import { startDemoUpstream } from '../control-plane/src/demo/index.ts';
import { systemClock } from '../control-plane/src/clock/index.ts';
import { launchEnvoy, renderBootstrap, type EnvoyProcess } from '../control-plane/src/envoy/index.ts';
import { createLogger, silentLogger } from '../control-plane/src/log/index.ts';
import { buildGatewaySnapshot, startXdsServer, type XdsServer } from '../control-plane/src/xds/index.ts';
import { startPassthroughProcessor } from '../test/fixtures/xds/passthrough.ts';
import { envoyBinary, waitUntil } from '../test/helpers/envoy.ts';
import { CLI_NODE_FLAGS } from '../test/helpers/cli.ts';
import { freePort } from '../test/helpers/ports.ts';
import { makeTempDir } from '../test/helpers/tmp.ts';
import { startProcessStack, type ProcessStack } from '../test/e2e/process-stack.ts';

const execFileAsync = promisify(execFile);
const QUICK = process.argv.includes('--quick');
/** `--only <target>` measures one target (upstream, envoy, ext_proc or embguard), e.g. to profile it. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
/** `--profile`: run the embguard roles under `node --cpu-prof`; profiles land in bench/results/profiles/. */
const PROFILE_DIR = process.argv.includes('--profile') ? path.join(PROJECT_ROOT, 'bench', 'results', 'profiles') : undefined;
/** Fixed rates: a light load that shows the per-request cost, and the 500 req/s of the target. */
const RATES = [100, 500] as const;
const FIXED_SECONDS = QUICK ? 3 : 5;
const WARMUP_SECONDS = 1;
const SATURATION_SECONDS = QUICK ? 3 : 5;
const SATURATION_CONNECTIONS = 32;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux; /proc/<pid>/stat times are in these ticks.

// ---------------------------------------------------------------------------------------------
// Inputs: realistic support-ticket prose, with or without contact and payment details.

const PROSE = [
  'The customer reported that the nightly export job stopped writing rows after the schema change on Tuesday.',
  'We rolled back the migration in staging and the export resumed, so the regression is in the new index.',
  'Please attach the query plan and the timings from both runs so the database team can compare them.',
  'The dashboard shows a spike in p99 latency that lines up with the deploy window of the search service.',
  'Our runbook says to drain one zone at a time; the second zone was drained before the first came back.',
  'Finance asked for the invoice history of the last two quarters, grouped by cost centre and region.',
];
const PII = [
  'Reach me at jordan.meyer@example.org or +49 30 901820 if anything is unclear.',
  'The refund goes to card 4539 1488 0343 6467, IBAN DE89 3704 0044 0532 0130 00.',
  'Escalation contact: priya.nair@example.com, phone +44 20 7946 0958.',
];

/** About `bytes` of prose; with `pii`, a contact or payment sentence every few sentences. */
function ticketText(bytes: number, pii: boolean): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const sentence = pii && i % 3 === 1 ? (PII[i % PII.length] as string) : (PROSE[i % PROSE.length] as string);
    parts.push(sentence);
    size += sentence.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}

interface Input {
  name: string;
  body: string;
}

const INPUTS: Input[] = [
  { name: '1KB', body: JSON.stringify({ model: 'demo-embed', input: ticketText(1024, false) }) },
  { name: '1KB+PII', body: JSON.stringify({ model: 'demo-embed', input: ticketText(1024, true) }) },
  { name: '8KB', body: JSON.stringify({ model: 'demo-embed', input: ticketText(8192, false) }) },
  { name: '8KB+PII', body: JSON.stringify({ model: 'demo-embed', input: ticketText(8192, true) }) },
];

// ---------------------------------------------------------------------------------------------
// Targets.

interface Target {
  name: 'upstream' | 'envoy' | 'ext_proc' | 'embguard';
  url: string;
  headers: Record<string, string>;
  /** The processes that serve this target, by role; their CPU time is charged to it. */
  processes: () => Readonly<Record<string, number>>;
}

/** Child modes of this script: services that must not share an event loop with the load generator. */
type ChildService = '--serve-upstream' | '--serve-passthrough-processor';

async function startChildService(mode: ChildService): Promise<{ child: ChildProcess; port: number }> {
  // The embguard roles' node flags, so the floor's processor runs as the real one does (the
  // upstream gets them too; every target shares it).
  const child = spawn(process.execPath, [...CLI_NODE_FLAGS, '--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'gateway.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${mode} process exited (${code})`)));
  });
  return { child, port };
}

const FLOOR_NODE_ID = 'ext-proc-floor';
const FLOOR_VERSION = '1-f100f100f100';

/**
 * The floor target's Envoy: configured over ADS from our xDS server with the gateway's own
 * resources (listener, ext_proc filter and modes, routes, clusters), no jwt_authn, and the
 * pass-through processor behind ext_proc.
 */
async function startFloorEnvoy(upstreamPort: number, processorPort: number, runDir: string): Promise<{ envoy: EnvoyProcess; xds: XdsServer; port: number }> {
  const port = await freePort();
  const xds = await startXdsServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), clock: systemClock });
  xds.setSnapshot(
    buildGatewaySnapshot(FLOOR_VERSION, {
      listener: { host: '127.0.0.1', port },
      processor: { host: '127.0.0.1', port: processorPort, messageTimeoutMs: 5_000 },
      upstreams: [{ name: 'demo', host: '127.0.0.1', port: upstreamPort }],
      maxRequestBytes: 8 * 1024 * 1024,
    }),
  );
  const envoy = await startQuietEnvoy(renderBootstrap({ nodeId: FLOOR_NODE_ID, adminPort: 0, xdsPort: xds.port }), runDir);
  return { envoy, xds, port };
}

/** A static bootstrap: one listener, the router filter only, one cluster to the upstream. */
function plainEnvoyBootstrap(listenerPort: number, upstreamPort: number): object {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'plain',
          address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'plain',
                    codec_type: 'AUTO',
                    route_config: {
                      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'upstream', timeout: '10s' } }] }],
                    },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'upstream',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'upstream',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }],
          },
        },
      ],
    },
  };
}

/** An Envoy of the benchmark's own (plain or floor): errors only in its log, a short drain. */
async function startQuietEnvoy(bootstrap: object, runDir: string): Promise<EnvoyProcess> {
  const envoy = launchEnvoy({ bin: envoyBinary(), bootstrap, runDir, logger: createLogger({ level: 'silent' }), logLevel: 'error', drainTimeS: 1 });
  await envoy.waitReady();
  return envoy;
}

async function startPlainEnvoy(upstreamPort: number, runDir: string): Promise<{ envoy: EnvoyProcess; port: number }> {
  const port = await freePort();
  return { envoy: await startQuietEnvoy(plainEnvoyBootstrap(port, upstreamPort), runDir), port };
}

// ---------------------------------------------------------------------------------------------
// Measurements.

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds used so far, per role of `processes`. */
function cpuByRole(processes: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(processes).map(([role, pid]) => [role, cpuSeconds(pid)]));
}

/** CPU milliseconds per request since `start`, per role and in total. */
function cpuPerRequest(processes: Readonly<Record<string, number>>, start: Record<string, number>, requests: number): CpuPerRequest {
  const byRole: Record<string, number> = {};
  let total = 0;
  for (const [role, seconds] of Object.entries(cpuByRole(processes))) {
    byRole[role] = ((seconds - (start[role] ?? 0)) * 1000) / Math.max(1, requests);
    total += byRole[role];
  }
  return { cpuMsPerRequest: total, cpuMsPerRequestByRole: byRole };
}

interface CpuPerRequest {
  cpuMsPerRequest: number;
  /** The same, per serving process: where the CPU of a request goes. */
  cpuMsPerRequestByRole: Record<string, number>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface FixedRateResult extends CpuPerRequest {
  sent: number;
  ok: number;
  failed: number;
  /** Count per HTTP status (0: transport error). */
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One POST; resolves with the status (0 on a transport error). */
function post(agent: http.Agent, target: Target, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(target.url, { method: 'POST', agent, headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Open loop at `rate` requests/s: request i is due at start + i/rate, sent when due whatever
 * happened to earlier ones, and its latency is measured from when it was due (no coordinated
 * omission). The first second is warm-up and not counted.
 */
async function fixedRate(target: Target, input: Input, rate: number, seconds: number): Promise<FixedRateResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = rate * (seconds + WARMUP_SECONDS);
  const warmup = rate * WARMUP_SECONDS;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const statuses: Record<string, number> = {};
  let cpuStart: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + (next * 1000) / rate <= now) {
        const due = start + (next * 1000) / rate;
        const counted = next >= warmup;
        if (next === warmup) cpuStart = cpuByRole(target.processes());
        pending.push(
          post(agent, target, input.body).then((status) => {
            if (!counted) return;
            latencies.push(performance.now() - due);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 200) ok += 1;
            else failed += 1;
          }),
        );
        next += 1;
      }
      if (next >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  const cpu = cpuPerRequest(target.processes(), cpuStart, latencies.length);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    sent: latencies.length,
    ok,
    failed,
    statuses,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    ...cpu,
  };
}

interface SaturationResult extends CpuPerRequest {
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

async function saturation(target: Target, input: Input): Promise<SaturationResult> {
  const cpuStart = cpuByRole(target.processes());
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: input.body,
    connections: SATURATION_CONNECTIONS,
    duration: SATURATION_SECONDS,
  });
  return {
    requestsPerSecond: result.requests.total / SATURATION_SECONDS,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ...cpuPerRequest(target.processes(), cpuStart, result.requests.total),
  };
}

async function fanout(): Promise<{ output: string; p50Ms: number | null; maxMs: number | null }> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'xds-fanout.ts'), '50', QUICK ? '5' : '20'], {
    timeout: 120_000,
  });
  const match = /p50 ([\d.]+) ms.*max ([\d.]+) ms/.exec(stdout);
  return { output: stdout.trim(), p50Ms: match ? Number(match[1]) : null, maxMs: match ? Number(match[2]) : null };
}

// ---------------------------------------------------------------------------------------------

async function envoyVersion(): Promise<string> {
  const { stdout } = await execFileAsync(envoyBinary(), ['--version']);
  return /version: (\S+)/.exec(stdout)?.[1] ?? stdout.trim();
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function main(): Promise<void> {
  const { dir, cleanup } = makeTempDir('embguard-bench-');
  const stoppers: (() => Promise<void> | void)[] = [() => cleanup()];
  let stack: ProcessStack | undefined;
  try {
    process.stderr.write('starting the demo upstream, a plain Envoy, the floor and the embguard stack…\n');
    const upstream = await startChildService('--serve-upstream');
    stoppers.push(() => void upstream.child.kill('SIGTERM'));
    const plain = await startPlainEnvoy(upstream.port, path.join(dir, 'plain-envoy'));
    stoppers.push(() => plain.envoy.stop());
    const passthrough = await startChildService('--serve-passthrough-processor');
    stoppers.push(() => void passthrough.child.kill('SIGTERM'));
    const floor = await startFloorEnvoy(upstream.port, passthrough.port, path.join(dir, 'floor-envoy'));
    stoppers.push(() => floor.xds.close());
    stoppers.push(() => floor.envoy.stop());
    stack = await startProcessStack({
      upstreamUrl: `http://127.0.0.1:${upstream.port}`,
      envoyLogLevel: 'error',
      ...(PROFILE_DIR ? { roleNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {}),
    });
    const running = stack;
    stoppers.push(() => running.stop());
    const token = await running.token('bob', ['engineering']);
    const upstreamPid = upstream.child.pid as number;
    const targets: Target[] = [
      { name: 'upstream', url: `http://127.0.0.1:${upstream.port}/v1/embeddings`, headers: {}, processes: () => ({ upstream: upstreamPid }) },
      {
        name: 'envoy',
        url: `http://127.0.0.1:${plain.port}/v1/embeddings`,
        headers: {},
        processes: () => ({ envoy: plain.envoy.pid, upstream: upstreamPid }),
      },
      {
        name: 'ext_proc',
        url: `http://127.0.0.1:${floor.port}/v1/embeddings`,
        headers: {},
        processes: () => ({ envoy: floor.envoy.pid, processor: passthrough.child.pid as number, upstream: upstreamPid }),
      },
      {
        name: 'embguard',
        url: `${running.gatewayUrl}/v1/embeddings`,
        headers: { authorization: `Bearer ${token}` },
        processes: () => ({
          envoy: running.envoy.pid,
          processor: running.role('processor')?.pid as number,
          'control-plane': running.role('control-plane')?.pid as number,
          upstream: upstreamPid,
        }),
      },
    ];
    // A listener pushed over ADS may come up a moment after its Envoy is ready.
    const probe = new http.Agent();
    for (const target of targets) {
      await waitUntil(async () => ((await post(probe, target, (INPUTS[1] as Input).body)) === 200 ? true : undefined), 15_000, `${target.name} to answer 200`);
    }
    probe.destroy();

    const measured = ONLY ? targets.filter((t) => t.name === ONLY) : targets;
    const fixed: FixedRuns = {};
    const saturated: SaturationRuns = {};
    for (const rate of RATES) {
      for (const input of INPUTS) {
        for (const target of measured) {
          process.stderr.write(`fixed ${rate} req/s  ${input.name.padEnd(8)} ${target.name}\n`);
          ((fixed[rate] ??= {})[input.name] ??= {})[target.name] = await fixedRate(target, input, rate, FIXED_SECONDS);
        }
      }
    }
    for (const input of INPUTS) {
      for (const target of measured) {
        process.stderr.write(`saturation        ${input.name.padEnd(8)} ${target.name}\n`);
        (saturated[input.name] ??= {})[target.name] = await saturation(target, input);
      }
    }
    if (ONLY) {
      process.stdout.write(`${JSON.stringify({ fixed, saturated }, null, 2)}\n`);
      return;
    }
    process.stderr.write('xds fan-out to 50 ADS clients\n');
    const fan = await fanout();
    const result = {
      date: new Date().toISOString(),
      machine: await machineDescription(),
      method: {
        rates: RATES,
        fixedSeconds: FIXED_SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        saturationSeconds: SATURATION_SECONDS,
        saturationConnections: SATURATION_CONNECTIONS,
        latency: 'open loop, from scheduled send to response end (ms)',
        cpu: 'user+system CPU of the serving processes (/proc/<pid>/stat) per request',
        floor: "ext_proc: the gateway's resources from the same builders over ADS, no jwt_authn, a pass-through processor",
      },
      targets: { addedP50Ms: 1, addedP99Ms: 3, throughputRatio: 0.7, fanoutMs: 1000 },
      summary: summarize(fixed, saturated),
      fixed,
      saturated,
      fanout: fan,
    };
    printTable(result.summary, fixed, saturated, fan, result.machine);
    const outDir = path.join(PROJECT_ROOT, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, `gateway-${result.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nresults: ${path.relative(PROJECT_ROOT, outFile)}\n`);
  } finally {
    for (const stop of stoppers.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  }
}

/** rate → input → target → result. */
type FixedRuns = Record<number, Record<string, Record<string, FixedRateResult>>>;
/** input → target → result. */
type SaturationRuns = Record<string, Record<string, SaturationResult>>;

interface SummaryRow {
  rate: number;
  input: string;
  /** embguard minus plain Envoy, at the same rate and input. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** Extra CPU of the whole embguard path over plain Envoy, per request. */
  addedCpuMsPerRequest: number;
  /** Saturation throughput of embguard as a share of plain Envoy's (same input). */
  throughputRatio: number;
  /** The same three for the floor target (ext_proc with a processor that does nothing). */
  floor: { addedP50Ms: number; addedP99Ms: number; throughputRatio: number };
}

function summarize(fixed: FixedRuns, saturated: SaturationRuns): SummaryRow[] {
  return RATES.flatMap((rate) =>
    INPUTS.map((input) => {
      const runs = fixed[rate]?.[input.name] ?? {};
      const [envoy, floor, embguard] = [runs.envoy, runs.ext_proc, runs.embguard] as FixedRateResult[];
      const sat = saturated[input.name] ?? {};
      const envoyRps = sat.envoy?.requestsPerSecond ?? 1;
      return {
        rate,
        input: input.name,
        addedP50Ms: embguard!.p50Ms - envoy!.p50Ms,
        addedP99Ms: embguard!.p99Ms - envoy!.p99Ms,
        addedCpuMsPerRequest: embguard!.cpuMsPerRequest - envoy!.cpuMsPerRequest,
        throughputRatio: (sat.embguard?.requestsPerSecond ?? 0) / envoyRps,
        floor: {
          addedP50Ms: floor!.p50Ms - envoy!.p50Ms,
          addedP99Ms: floor!.p99Ms - envoy!.p99Ms,
          throughputRatio: (sat.ext_proc?.requestsPerSecond ?? 0) / envoyRps,
        },
      };
    }),
  );
}

async function machineDescription() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: os.release(),
    node: process.version,
    envoy: await envoyVersion(),
    loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    embguardHome: os.tmpdir(),
  };
}

function printTable(
  summary: readonly SummaryRow[],
  fixed: FixedRuns,
  saturated: SaturationRuns,
  fan: { p50Ms: number | null; maxMs: number | null },
  machine: { cpu: string; cores: number; node: string; envoy: string },
): void {
  const out: string[] = [];
  const cell = (r: FixedRateResult | undefined) => `${fmt(r?.p50Ms ?? NaN).padStart(7)}/${fmt(r?.p99Ms ?? NaN).padStart(8)} ${fmt(r?.cpuMsPerRequest ?? NaN, 3)}`;
  out.push(`gateway overhead — ${machine.cpu} ×${machine.cores}, node ${machine.node}, envoy ${machine.envoy}`);
  out.push(`fixed rate, open loop, ${FIXED_SECONDS} s after ${WARMUP_SECONDS} s warm-up — latency ms p50/p99, CPU ms per request`);
  out.push('rate input    |  upstream p50/p99    cpu |     envoy p50/p99    cpu |  embguard p50/p99    cpu fail | added p50 added p99 added cpu');
  for (const row of summary) {
    const runs = fixed[row.rate]?.[row.input] ?? {};
    out.push(
      `${String(row.rate).padStart(4)} ${row.input.padEnd(8)} | ${cell(runs.upstream)} | ${cell(runs.envoy)} | ${cell(runs.embguard)} ${String(runs.embguard?.failed ?? 0).padStart(4)} | ${fmt(row.addedP50Ms).padStart(9)} ${fmt(row.addedP99Ms).padStart(9)} ${fmt(row.addedCpuMsPerRequest, 3).padStart(9)}`,
    );
  }
  out.push(`saturation, autocannon ${SATURATION_CONNECTIONS} connections, ${SATURATION_SECONDS} s — req/s (CPU ms per request)`);
  out.push('input    |        upstream |           envoy |        embguard non2xx | embguard/envoy');
  for (const input of INPUTS) {
    const runs = saturated[input.name] ?? {};
    const c = (r: SaturationResult | undefined) => `${fmt(r?.requestsPerSecond ?? NaN, 0).padStart(6)} (${fmt(r?.cpuMsPerRequest ?? NaN, 3)})`;
    const ratio = summary.find((r) => r.input === input.name)?.throughputRatio ?? NaN;
    out.push(`${input.name.padEnd(8)} | ${c(runs.upstream)} | ${c(runs.envoy)} | ${c(runs.embguard)} ${String((runs.embguard?.non2xx ?? 0) + (runs.embguard?.errors ?? 0)).padStart(6)} | ${fmt(ratio * 100, 0).padStart(13)}%`);
  }
  out.push('embguard at saturation, CPU ms per request by process:');
  for (const input of INPUTS) {
    const byRole = saturated[input.name]?.embguard?.cpuMsPerRequestByRole ?? {};
    out.push(`  ${input.name.padEnd(8)} ${Object.entries(byRole).map(([role, ms]) => `${role} ${fmt(ms, 3)}`).join(', ')}`);
  }
  out.push("floor: embguard's Envoy config without jwt_authn, its processor replaced by one that answers at once");
  out.push('rate input    |  ext_proc p50/p99    cpu | added p50 added p99 | saturation req/s, share of envoy');
  for (const row of summary) {
    const sat = saturated[row.input]?.ext_proc;
    out.push(
      `${String(row.rate).padStart(4)} ${row.input.padEnd(8)} | ${cell(fixed[row.rate]?.[row.input]?.ext_proc)} | ${fmt(row.floor.addedP50Ms).padStart(9)} ${fmt(row.floor.addedP99Ms).padStart(9)} | ${fmt(sat?.requestsPerSecond ?? NaN, 0).padStart(6)} ${fmt(row.floor.throughputRatio * 100, 0).padStart(4)}%`,
    );
  }
  out.push(`xds fan-out to 50 ADS clients: p50 ${fan.p50Ms ?? 'n/a'} ms, max ${fan.maxMs ?? 'n/a'} ms`);
  // 8 KB at 500 req/s is beyond what the demo upstream alone serves on two cores; the targets are judged on 1 KB.
  const at500 = summary.filter((r) => r.rate === 500 && r.input.startsWith('1KB'));
  const worst = (pick: (r: SummaryRow) => number) => Math.max(...at500.map(pick));
  const minRatio = Math.min(...at500.map((r) => r.throughputRatio));
  out.push(
    `targets at 500 req/s, 1 KB: added p50 ≤ 1 ms ${verdict(worst((r) => r.addedP50Ms) <= 1)} (worst ${fmt(worst((r) => r.addedP50Ms))}); ` +
      `added p99 ≤ 3 ms ${verdict(worst((r) => r.addedP99Ms) <= 3)} (worst ${fmt(worst((r) => r.addedP99Ms))}); ` +
      `saturation ≥ 70% of Envoy ${verdict(minRatio >= 0.7)} (worst ${fmt(minRatio * 100, 0)}%); fan-out ≤ 1 s ${verdict((fan.maxMs ?? Infinity) <= 1000)}`,
  );
  out.push(
    `the floor at 500 req/s, 1 KB (ext_proc alone, nothing processed): added p50 ${fmt(worst((r) => r.floor.addedP50Ms))}, ` +
      `added p99 ${fmt(worst((r) => r.floor.addedP99Ms))}, saturation ${fmt(Math.min(...at500.map((r) => r.floor.throughputRatio)) * 100, 0)}% of Envoy (worst of the two inputs)`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

// ---------------------------------------------------------------------------------------------
// Entry. Child mode: the demo upstream in its own process, so it never shares an event loop with the load.
if (process.argv[2] === '--serve-upstream') {
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger() });
  process.stdout.write(`${JSON.stringify({ port: upstream.port })}\n`);
  process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
} else if (process.argv[2] === '--serve-passthrough-processor') {
  const processor = await startPassthroughProcessor();
  process.stdout.write(`${JSON.stringify({ port: processor.port })}\n`);
  process.on('SIGTERM', () => {
    processor.close();
    process.exit(0);
  });
} else {
  await main();
}
