import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { auditPaths, openSqliteStore } from '../../control-plane/src/audit/index.ts';
import type { DemoUpstream, ReceivedRequest } from '../../control-plane/src/demo/index.ts';
import { launchEnvoy, renderBootstrap, type EnvoyProcess } from '../../control-plane/src/envoy/index.ts';
import type { DemoIssuer } from '../../control-plane/src/identity/index.ts';
import { createLogger, type Logger } from '../../control-plane/src/log/index.ts';
import type { PolicyDocument } from '../../control-plane/src/policy/index.ts';
import { CLI, CLI_NODE_FLAGS } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { startDemoServices } from './demo-services.ts';
import { envoyBinary, waitUntil } from '../helpers/envoy.ts';

const execFileAsync = promisify(execFile);
const ENVOY_NODE_ID = 'process-stack';
/** The last lines of a log, each cut short: enough to see why, not a flood. */
const tail = (text: string): string =>
  text
    .split('\n')
    .slice(-60)
    .map((line) => (line.length > 600 ? `${line.slice(0, 600)}…` : line))
    .join('\n');

/** The two embguard roles, each run as `embguard <role>` with the CLI's node flags. */
export type RoleName = 'processor' | 'control-plane';

/** One audit log entry as stored: its index and parsed canonical JSON event. */
export interface AuditRecord {
  index: number;
  type: string;
  event: {
    type: string;
    request?: { id?: string; path?: string; model?: string };
    upstream?: { status?: number };
    decision?: { outcome?: string };
    policy?: { seq?: number; sha256?: string };
    actor?: { subject?: string };
    [key: string]: unknown;
  };
}

/** A role running as a child process. */
export interface RoleProcess {
  readonly name: RoleName;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ProcessStackOptions {
  /**
   * Where the gateway routes model traffic. By default an in-process demo upstream that records
   * every request in `received`; a test can point it at a slow or closed port instead.
   */
  upstreamUrl?: string;
  /** The Gateway upstream's `timeoutMs` (Envoy's route timeout). */
  upstreamTimeoutMs?: number;
  /** Extra environment for both roles (e.g. an audit setting). */
  env?: Record<string, string>;
  /** Envoy's log level (`warn` by default). */
  envoyLogLevel?: string;
  /** Extra `node` flags for the role processes, e.g. `--cpu-prof` to profile them. */
  roleNodeArgs?: readonly string[];
}

/**
 * The embguard stack as it runs in production: the control plane and the processor as separate
 * child processes sharing one EMBGUARD_HOME, Envoy configured only over ADS, a demo upstream and
 * demo issuer in the test process, all on free loopback ports.
 */
export interface ProcessStack {
  readonly home: string;
  /** The environment both roles run with. */
  readonly env: Readonly<Record<string, string>>;
  readonly ports: Readonly<{ listener: number; admin: number; xds: number; processor: number; api: number }>;
  /** `http://127.0.0.1:<listener>` (no path). */
  readonly gatewayUrl: string;
  readonly envoy: EnvoyProcess;
  readonly upstream: DemoUpstream;
  readonly issuer: DemoIssuer;
  /** Every request the demo upstream received, in order. */
  readonly received: ReceivedRequest[];
  /** The signed snapshot version the roles enforce. */
  readonly version: string;
  role(name: RoleName): RoleProcess | undefined;
  /** Starts a role process and waits for its `ready` line. */
  startRole(name: RoleName): Promise<RoleProcess>;
  /** Sends `signal` to a role and waits until it exited. */
  killRole(name: RoleName, signal?: NodeJS.Signals): Promise<void>;
  token(subject?: string, groups?: readonly string[]): Promise<string>;
  /** POST /v1/embeddings through Envoy. */
  embed(token: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
  /** Every committed audit entry, read from the shared SQLite store. */
  auditRecords(): Promise<AuditRecord[]>;
  /** Runs `embguard audit verify`; resolves with its exit code and output. */
  verifyAudit(): Promise<{ code: number; stdout: string; stderr: string }>;
  /** One Envoy admin stat (`/stats?filter=^name$`), or undefined if Envoy does not have it. */
  envoyStat(name: string): Promise<number | undefined>;
  /** Everything a role process logged so far. */
  roleLog(name: RoleName): string;
  /** Child logs (roles, Envoy, in-process services), for printing when a test failed. */
  logs(): string;
  stop(): Promise<void>;
}

function gatewayDocuments(base: PolicyDocument[], listenerPort: number, options: ProcessStackOptions): PolicyDocument[] {
  return base.map((document) => {
    if (document.kind !== 'Gateway') return document;
    const copy = structuredClone(document);
    copy.spec.listener = { ...copy.spec.listener, address: '127.0.0.1', port: listenerPort };
    for (const upstream of copy.spec.upstreams) {
      if (options.upstreamUrl) upstream.url = options.upstreamUrl;
      if (options.upstreamTimeoutMs) upstream.timeoutMs = options.upstreamTimeoutMs;
    }
    return copy;
  });
}

/** Resolves once the child printed its JSON `ready` line; rejects if it exits first or takes too long. */
function waitForReadyLine(child: ChildProcess, name: string, logFile: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => done(new Error(`${name} was not ready within ${timeoutMs} ms; see ${logFile}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (/"status":"ready"/.test(buffered)) done();
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`${name} exited (${code ?? signal}) before it was ready; see ${logFile}`));
    function done(err?: Error) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startProcessStack(options: ProcessStackOptions = {}): Promise<ProcessStack> {
  const { dir: home, cleanup } = makeTempDir('embguard-procs-');
  const logDir = path.join(home, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const testLog = path.join(logDir, 'test-process.log');
  const logger: Logger = createLogger({ level: 'info', destination: fs.createWriteStream(testLog, { flags: 'a' }) as never });
  const roles = new Map<RoleName, { child: ChildProcess; process: RoleProcess }>();
  const stoppers: (() => Promise<void>)[] = [];
  const logFiles = [testLog];

  try {
    const upstreamKey = randomBytes(24).toString('hex');
    const demo = await startDemoServices({ home, logger, upstreamKey, builder: 'process-stack harness' });
    stoppers.push(() => demo.close());
    const ports = { listener: await freePort(), admin: await freePort(), xds: await freePort(), processor: await freePort(), api: await freePort() };
    const version = await demo.sign(gatewayDocuments(demo.demoDocuments(), ports.listener, options));
    const env: Record<string, string> = {
      EMBGUARD_HOME: home,
      EMBGUARD_SNAPSHOT_DEV: '1',
      EMBGUARD_TOKENIZATION_KEY: randomBytes(32).toString('hex'),
      EMBGUARD_DEMO_UPSTREAM_KEY: upstreamKey,
      EMBGUARD_LOG_LEVEL: 'info',
      EMBGUARD_ENVOY_ADMIN_PORT: String(ports.admin),
      EMBGUARD_XDS_PORT: String(ports.xds),
      EMBGUARD_PROCESSOR_PORT: String(ports.processor),
      EMBGUARD_API_PORT: String(ports.api),
      ...options.env,
    };

    const startRole = async (name: RoleName): Promise<RoleProcess> => {
      const logFile = path.join(logDir, `${name}.log`);
      if (!logFiles.includes(logFile)) logFiles.push(logFile);
      const log = fs.openSync(logFile, 'a');
      const child = spawn(process.execPath, [...CLI_NODE_FLAGS, ...(options.roleNodeArgs ?? []), CLI, name], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', log],
      });
      fs.closeSync(log);
      child.stdout?.on('data', (chunk: Buffer) => fs.appendFileSync(logFile, chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      const role: RoleProcess = { name, pid: child.pid ?? -1, exited };
      roles.set(name, { child, process: role });
      await waitForReadyLine(child, name, logFile);
      return role;
    };
    const killRole = async (name: RoleName, signal: NodeJS.Signals = 'SIGKILL') => {
      const running = roles.get(name);
      if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
      running.child.kill(signal);
      const timer = setTimeout(() => running.child.kill('SIGKILL'), 5000);
      await running.process.exited;
      clearTimeout(timer);
    };
    stoppers.push(async () => {
      for (const name of roles.keys()) await killRole(name, 'SIGTERM');
    });

    // The control plane first: it creates the audit log's keys the processor then shares.
    await startRole('control-plane');
    await startRole('processor');
    const envoy = launchEnvoy({
      bin: envoyBinary(),
      bootstrap: renderBootstrap({ nodeId: ENVOY_NODE_ID, adminPort: ports.admin, xdsPort: ports.xds }),
      runDir: path.join(home, 'run'),
      logger,
      logLevel: options.envoyLogLevel ?? 'warn',
      drainTimeS: 1,
    });
    logFiles.push(envoy.logFile);
    stoppers.push(() => envoy.stop());
    await envoy.waitReady();

    const envoyStat = async (name: string): Promise<number | undefined> => {
      const res = await fetch(`${envoy.adminUrl}/stats?format=json&filter=${encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`)}`);
      const body = (await res.json()) as { stats: { name: string; value?: number }[] };
      return body.stats.find((s) => s.name === name)?.value;
    };

    const gatewayUrl = `http://127.0.0.1:${ports.listener}`;
    // Ready means the listener from the snapshot is live: wait until it accepts a request.
    await waitUntil(
      () => fetch(`${gatewayUrl}/v1/models`).then(() => true, () => undefined),
      15_000,
      `the gateway listener on ${ports.listener}`,
    );

    const stack: ProcessStack = {
      home,
      env,
      ports,
      gatewayUrl,
      envoy,
      upstream: demo.upstream,
      issuer: demo.issuer,
      received: demo.received,
      version,
      role: (name) => roles.get(name)?.process,
      startRole,
      killRole,
      token: demo.token,
      async embed(token, body, headers = {}) {
        const res = await fetch(`${gatewayUrl}/v1/embeddings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        return { status: res.status, text: await res.text(), headers: res.headers };
      },
      async auditRecords() {
        const store = openSqliteStore(auditPaths(home).sqlite);
        try {
          const entries = await store.readEntries(0, await store.size());
          return entries.map((entry) => ({ index: entry.index, type: entry.type, event: JSON.parse(entry.leaf) as AuditRecord['event'] }));
        } finally {
          await store.close();
        }
      },
      async verifyAudit() {
        try {
          const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, 'audit', 'verify'], {
            env: { ...process.env, ...env },
            timeout: 30_000,
          });
          return { code: 0, stdout, stderr };
        } catch (err) {
          const failed = err as { code?: number; stdout?: string; stderr?: string };
          return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
        }
      },
      envoyStat,
      roleLog: (name) => fs.readFileSync(path.join(logDir, `${name}.log`), 'utf8'),
      logs() {
        return logFiles
          .filter((file) => fs.existsSync(file))
          .map((file) => `----- ${path.basename(file)} -----\n${tail(fs.readFileSync(file, 'utf8'))}`)
          .join('\n');
      },
      async stop() {
        for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
        cleanup();
      },
    };
    return stack;
  } catch (err) {
    const logs = logFiles.filter((f) => fs.existsSync(f)).map((f) => `----- ${f}\n${tail(fs.readFileSync(f, 'utf8'))}`).join('\n');
    for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
    cleanup();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
}

/** Text files under `dir` (recursively) that contain any of `needles`; for PII canary sweeps. */
export function filesContaining(dir: string, needles: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesContaining(full, needles);
    if (!entry.isFile()) return [];
    const content = fs.readFileSync(full);
    return needles.some((needle) => content.includes(needle)) ? [full] : [];
  });
}

/** Resident set size (bytes) and open file descriptors of a Linux process, from /proc. */
export function processFootprint(pid: number): { rssBytes: number; fds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssBytes: rssKb * 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}
