import path from 'node:path';
import { PROJECT_ENVOY_BIN } from '../../control-plane/src/config/index.ts';
import { assertEnvoyBinary, launchEnvoy, validateEnvoyConfig as validateWith, type ConfigDump } from '../../control-plane/src/envoy/index.ts';
import { silentLogger } from '../../control-plane/src/log/index.ts';
import { makeTempDir } from './tmp.ts';

export type { ConfigDump } from '../../control-plane/src/envoy/index.ts';

/**
 * Real Envoy processes for tests, started by the same launcher `embguard up` uses: find the
 * binary, validate a config, start one, read its admin API, and always stop it. Logs are printed
 * only when asked (e.g. from `onTestFailed`).
 */

/** Envoy binary for tests: `ENVOY_BIN`, else the project's `.venv/bin/envoy`. */
export function envoyBinary(): string {
  return process.env['ENVOY_BIN'] || PROJECT_ENVOY_BIN;
}

/**
 * Fails the calling test file when Envoy is missing, with the install hint: tests that need Envoy
 * never skip (`make test` installs it; ENVOY_BIN points at another one). Call at the top of a
 * `describe` that starts or validates Envoy.
 */
export function requireEnvoy(): void {
  assertEnvoyBinary(envoyBinary());
}

/** Runs `envoy --mode validate -c <file>`; resolves with the exit code and combined output. */
export function validateEnvoyConfig(configFile: string, bin = envoyBinary()): Promise<{ code: number | null; output: string }> {
  return validateWith(bin, configFile);
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


// A test that forgets to stop its Envoy must not leave it running after the worker exits.
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/**
 * Starts Envoy through `launchEnvoy` (one worker, no hot restart, drain 1 s, admin address read
 * from the file Envoy writes, so a bootstrap may use admin port 0) in a temporary run directory.
 */
export async function startEnvoy(options: StartEnvoyOptions): Promise<EnvoyProcess> {
  const tmp = makeTempDir('embguard-envoy-');
  const launched = launchEnvoy({
    bin: options.bin ?? envoyBinary(),
    bootstrap: options.bootstrap,
    runDir: path.join(tmp.dir, 'run'),
    logger: silentLogger(),
    logLevel: options.logLevel ?? 'warn',
    drainTimeS: 1,
    extraArgs: options.args ?? [],
  });
  running.add(launched.pid);
  const handle = {
    async stop() {
      await launched.stop();
      running.delete(launched.pid);
      tmp.cleanup();
    },
  };
  const logs = () => {
    try {
      return launched.log();
    } catch {
      return '';
    }
  };
  const waitReady = (timeoutMs = options.readyTimeoutMs ?? 20_000) => launched.waitReady(timeoutMs);
  try {
    if (options.waitReady === false) {
      const adminUrl = () => {
        try {
          return launched.adminUrl;
        } catch {
          return undefined;
        }
      };
      await waitUntil(adminUrl, options.readyTimeoutMs ?? 20_000, 'envoy admin address');
    } else {
      await waitReady();
    }
  } catch (err) {
    process.stderr.write(`----- envoy log (start failed) -----\n${logs()}\n`);
    await handle.stop();
    throw err;
  }
  const admin = async (pathAndQuery: string, init?: RequestInit) => {
    const response = await fetch(`${launched.adminUrl}${pathAndQuery}`, init);
    return { status: response.status, text: await response.text() };
  };
  return {
    pid: launched.pid,
    adminUrl: launched.adminUrl,
    admin,
    async configDump(query = '') {
      const { status, text } = await admin(`/config_dump${query ? `?${query}` : ''}`);
      if (status !== 200) throw new Error(`/config_dump answered ${status}: ${text.slice(0, 200)}`);
      return JSON.parse(text) as ConfigDump;
    },
    waitReady,
    logs,
    printLogs: () => process.stderr.write(`----- envoy ${launched.pid} log -----\n${logs()}\n----- end of envoy log -----\n`),
    stop: () => handle.stop(),
  };
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
