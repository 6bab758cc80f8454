import path from 'node:path';
import { parseAuditConfig, type AuditConfig } from './audit.ts';

export type { AuditConfig } from './audit.ts';

/**
 * Loopback ports of the stack; every one can be overridden (tests use free ports). The gateway
 * listener is not here: its address is policy (`Gateway.spec.listener`), pushed over xDS.
 */
export interface Ports {
  envoyAdmin: number;
  xds: number;
  processor: number;
  api: number;
  demoUpstream: number;
  demoIssuer: number;
}

export const DEFAULT_PORTS: Readonly<Ports> = Object.freeze({
  envoyAdmin: 9901,
  xds: 18000,
  processor: 18001,
  api: 18002,
  demoUpstream: 18003,
  demoIssuer: 18004,
});

/** The one typed configuration of a running embguard, parsed once and frozen. */
export interface Config {
  /** State directory: audit store, keys, snapshot store, run files. */
  home: string;
  host: '127.0.0.1';
  ports: Ports;
  /** Envoy binary; from `ENVOY_BIN` or the project-local virtualenv. */
  envoyBin: string;
  policyDir: string;
  logLevel: string;
  logPretty: boolean;
  /** Tamper-evident audit log settings. */
  audit: AuditConfig;
  /**
   * The environment as read at start, for `env:` secret references (tokenization key, upstream
   * credentials). Never logged or serialised.
   */
  secretEnv: Readonly<Record<string, string | undefined>>;
  /** Policy snapshots: the store, the pinned verifier keys, and whether unapproved ones are accepted. */
  snapshots: SnapshotConfig;
  /** The CI the CLI runs in, for annotations and job summaries. */
  ci: { githubActions: boolean; stepSummaryFile: string | undefined };
}

export interface SnapshotConfig {
  /** A directory (default `<home>/snapshots`) or an http(s) URL; from `EMBGUARD_SNAPSHOT_SOURCE`. */
  source: string;
  /** File of pinned verifier keys, one per line; from `EMBGUARD_SNAPSHOT_TRUSTED_KEYS` (default `<home>/keys/snapshot-signing.pub`). */
  trustedKeysFile: string;
  /** Development mode: accept snapshots built with `--dev-unapproved` (`EMBGUARD_SNAPSHOT_DEV=1`). */
  allowUnapproved: boolean;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const PORT_ENV: Record<keyof Ports, string> = {
  envoyAdmin: 'EMBGUARD_ENVOY_ADMIN_PORT',
  xds: 'EMBGUARD_XDS_PORT',
  processor: 'EMBGUARD_PROCESSOR_PORT',
  api: 'EMBGUARD_API_PORT',
  demoUpstream: 'EMBGUARD_DEMO_UPSTREAM_PORT',
  demoIssuer: 'EMBGUARD_DEMO_ISSUER_PORT',
};

/** The repository root, from this file's location; used for defaults that point into the checkout. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../../..');

/** The Envoy binary the project installs into its virtualenv (`envoy/install.sh`). */
export const PROJECT_ENVOY_BIN = path.join(PROJECT_ROOT, '.venv', 'bin', 'envoy');

function snapshotConfig(env: NodeJS.ProcessEnv): SnapshotConfig {
  const home = path.resolve(env.EMBGUARD_HOME || '.embguard');
  const source = env.EMBGUARD_SNAPSHOT_SOURCE || path.join(home, 'snapshots');
  return {
    source: /^https?:\/\//.test(source) ? source : path.resolve(source),
    trustedKeysFile: path.resolve(env.EMBGUARD_SNAPSHOT_TRUSTED_KEYS || path.join(home, 'keys', 'snapshot-signing.pub')),
    allowUnapproved: env.EMBGUARD_SNAPSHOT_DEV === '1',
  };
}

/**
 * Reads configuration from the environment (and explicit overrides), collecting every problem
 * before failing so a user fixes them all in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const problems: string[] = [];
  const ports = { ...DEFAULT_PORTS };
  for (const key of Object.keys(PORT_ENV) as (keyof Ports)[]) {
    const raw = env[PORT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${PORT_ENV[key]}=${JSON.stringify(raw)} is not a port number (1-65535)`);
    } else {
      ports[key] = port;
    }
  }
  const config: Config = {
    home: path.resolve(env.EMBGUARD_HOME || '.embguard'),
    host: '127.0.0.1',
    ports: { ...ports, ...overrides.ports },
    envoyBin: env.ENVOY_BIN || PROJECT_ENVOY_BIN,
    policyDir: path.resolve(env.EMBGUARD_POLICY_DIR || path.join(PROJECT_ROOT, 'policies')),
    logLevel: env.EMBGUARD_LOG_LEVEL || 'info',
    logPretty: env.EMBGUARD_LOG_PRETTY === '1',
    secretEnv: Object.freeze({ ...env }),
    audit: parseAuditConfig(env, problems),
    snapshots: snapshotConfig(env),
    ci: { githubActions: env.GITHUB_ACTIONS === 'true', stepSummaryFile: env.GITHUB_STEP_SUMMARY || undefined },
    ...overrides,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
