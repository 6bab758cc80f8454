import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ENVOY_BIN } from '../../control-plane/src/config/index.ts';
import { makeTempDir } from './tmp.ts';

/**
 * Real Envoy processes for tests: find the binary, validate a config, start one on free ports,
 * wait until it is ready, read its admin API, and always stop it. Logs are kept in memory and
 * printed only when asked (e.g. from `onTestFailed`).
 */

/** Envoy binary for tests: `ENVOY_BIN`, else the project's `.venv/bin/envoy`. */
export function envoyBinary(): string {
  return process.env['ENVOY_BIN'] || PROJECT_ENVOY_BIN;
}

/**
 * Whether Envoy tests can run. Under `CI=true` a missing binary is an error, never a skip:
 * `describe.skipIf(!envoyAvailable())` then throws at collection time in CI.
 */
export function envoyAvailable(): boolean {
  const bin = envoyBinary();
  let found = false;
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    found = true;
  } catch {
    found = false;
  }
  if (!found && process.env['CI'] === 'true') {
    throw new Error(`Envoy binary not found or not executable at ${bin} (set ENVOY_BIN); CI never skips Envoy tests`);
  }
  return found;
}

/** Runs `envoy --mode validate -c <file>`; resolves with the exit code and combined output. */
export async function validateEnvoyConfig(configFile: string, bin = envoyBinary()): Promise<{ code: number | null; output: string }> {
  const child = spawn(bin, ['--mode', 'validate', '-c', configFile, '--disable-hot-restart', '-l', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, output };
}

/** Options of {@link startEnvoy}. */
export interface StartEnvoyOptions {
  /** Bootstrap object (written as JSON) or a path to an existing config file (.json/.yaml/.pb). */
  bootstrap: object | string;
  bin?: string;
  /** Extra command-line arguments. */
  args?: readonly string[];
  /** How long to wait for `GET /ready` = 200; default 20 s. Set `waitReady: false` to skip. */
  readyTimeoutMs?: number;
  waitReady?: boolean;
  /** Log level; default `warn`. */
  logLevel?: string;
}

/** A running Envoy started by {@link startEnvoy}. */
export interface EnvoyProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` of the admin API. */
  readonly adminUrl: string;
  /** GET on the admin API; returns status and text body. */
  admin(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; text: string }>;
  /** Parsed `/config_dump` (optionally `?resource=` filtered). */
  configDump(query?: string): Promise<ConfigDump>;
  /** Waits for `GET /ready` to answer 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Everything Envoy wrote to stdout/stderr so far. */
  logs(): string;
  /** Writes the logs to stderr (call from `onTestFailed`). */
  printLogs(): void;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** The shape of `/config_dump` we read: a list of typed config dumps. */
export interface ConfigDump {
  configs: ({ '@type': string } & Record<string, unknown>)[];
}

/** Versions of the dynamic (xDS) resources in a `/config_dump`, by resource name. */
export interface DynamicVersions {
  clusters: Record<string, string>;
  listeners: Record<string, string>;
  routes: Record<string, string>;
}

/**
 * The version each dynamic cluster, listener and route configuration was last updated at. Envoy
 * bumps a resource's version only when its content changed; embguard stamps the route
 * configuration with the snapshot version, so `routes` always shows the latest ACKed snapshot.
 */
export function dynamicVersions(dump: ConfigDump): DynamicVersions {
  const versions: DynamicVersions = { clusters: {}, listeners: {}, routes: {} };
  for (const config of dump.configs) {
    const type = config['@type'];
    if (type.endsWith('ClustersConfigDump')) {
      for (const c of (config['dynamic_active_clusters'] ?? []) as { version_info?: string; cluster?: { name?: string } }[]) {
        versions.clusters[c.cluster?.name ?? ''] = c.version_info ?? '';
      }
    } else if (type.endsWith('ListenersConfigDump')) {
      for (const l of (config['dynamic_listeners'] ?? []) as { name?: string; active_state?: { version_info?: string } }[]) {
        versions.listeners[l.name ?? ''] = l.active_state?.version_info ?? '';
      }
    } else if (type.endsWith('RoutesConfigDump')) {
      for (const r of (config['dynamic_route_configs'] ?? []) as { version_info?: string; route_config?: { name?: string } }[]) {
        versions.routes[r.route_config?.name ?? ''] = r.version_info ?? '';
      }
    }
  }
  return versions;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts Envoy with `--concurrency 1 --disable-hot-restart --drain-time-s 1` and the admin
 * address written to a file (`--admin-address-path`), so a bootstrap may use admin port 0.
 */
export async function startEnvoy(options: StartEnvoyOptions): Promise<EnvoyProcess> {
  const tmp = makeTempDir('embguard-envoy-');
  const configFile = typeof options.bootstrap === 'string' ? options.bootstrap : path.join(tmp.dir, 'bootstrap.json');
  if (typeof options.bootstrap !== 'string') fs.writeFileSync(configFile, JSON.stringify(options.bootstrap, null, 2));
  const adminAddressFile = path.join(tmp.dir, 'admin-address');
  const child = spawn(
    options.bin ?? envoyBinary(),
    [
      '-c', configFile,
      '--concurrency', '1',
      '--disable-hot-restart',
      '--drain-time-s', '1',
      '--parent-shutdown-time-s', '2',
      '-l', options.logLevel ?? 'warn',
      '--admin-address-path', adminAddressFile,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      tmp.cleanup();
      resolve(code);
    }),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const stop = async (): Promise<void> => {
    if (exitCode !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const adminUrl = await waitUntil(
      () => {
        if (exitCode !== undefined) throw new Error(`envoy exited with code ${exitCode} before its admin API came up`);
        const address = fs.existsSync(adminAddressFile) ? fs.readFileSync(adminAddressFile, 'utf8').trim() : '';
        return address ? `http://${address}` : undefined;
      },
      options.readyTimeoutMs ?? 20_000,
      'envoy admin address',
    );
    const admin = async (pathAndQuery: string, init?: RequestInit) => {
      const response = await fetch(`${adminUrl}${pathAndQuery}`, init);
      return { status: response.status, text: await response.text() };
    };
    const waitReady = async (timeoutMs = options.readyTimeoutMs ?? 20_000) => {
      await waitUntil(
        async () => {
          if (exitCode !== undefined) throw new Error(`envoy exited with code ${exitCode}`);
          const ready = await admin('/ready').catch(() => undefined);
          return ready?.status === 200 ? true : undefined;
        },
        timeoutMs,
        'envoy /ready',
      );
    };
    const envoy: EnvoyProcess = {
      pid: child.pid ?? -1,
      adminUrl,
      admin,
      async configDump(query = '') {
        const { status, text } = await admin(`/config_dump${query ? `?${query}` : ''}`);
        if (status !== 200) throw new Error(`/config_dump answered ${status}: ${text.slice(0, 200)}`);
        return JSON.parse(text) as ConfigDump;
      },
      waitReady,
      logs: () => log,
      printLogs: () => process.stderr.write(`----- envoy ${child.pid} log -----\n${log}\n----- end of envoy log -----\n`),
      stop,
    };
    if (options.waitReady !== false) await waitReady();
    return envoy;
  } catch (err) {
    process.stderr.write(`----- envoy log (start failed) -----\n${log}\n`);
    await stop();
    throw err;
  }
}

/**
 * Polls `probe` every 50 ms until it returns something other than `undefined`; rejects after
 * `timeoutMs` (or at once when `probe` throws). For waiting on external processes only — time
 * logic in tests uses FakeClock.
 */
export async function waitUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
