import path from 'node:path';

/** Settings of the tamper-evident audit log (docs/audit-log.md). */
export interface AuditConfig {
  /** `sqlite` (embedded, default, under `home/audit/`) or `postgres` (several processors share one log). */
  store: 'sqlite' | 'postgres';
  /** PostgreSQL connection string; required when `store` is `postgres`. */
  postgresUrl: string | undefined;
  /** A checkpoint is signed at least this often even when no entries arrive. */
  heartbeatSeconds: number;
  /** How often new entries are folded into the tree and a checkpoint signed. */
  checkpointSeconds: number;
  /** The log's origin line (its permanent identity) and the signing key's name. */
  origin: string;
  /** Directory (meant for WORM storage) receiving one write-once file per signed checkpoint. */
  exportDir: string | undefined;
  /** Signer key file of a witness that co-signs every checkpoint. */
  witnessKeyFile: string | undefined;
  /** Masked excerpts are deleted after this many days; the leaves keep their keyed hashes. */
  excerptRetentionDays: number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    problems.push(`${name}=${JSON.stringify(raw)} is not a positive number`);
    return fallback;
  }
  return value;
}

/** Reads the audit settings from the environment, adding any problem to `problems`. */
export function parseAuditConfig(env: NodeJS.ProcessEnv, problems: string[]): AuditConfig {
  const store = env.EMBGUARD_AUDIT_STORE || 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') {
    problems.push(`EMBGUARD_AUDIT_STORE=${JSON.stringify(store)} must be "sqlite" or "postgres"`);
  }
  const postgresUrl = env.EMBGUARD_AUDIT_POSTGRES_URL || undefined;
  if (store === 'postgres' && !postgresUrl) problems.push('EMBGUARD_AUDIT_POSTGRES_URL is required when EMBGUARD_AUDIT_STORE=postgres');
  return {
    store: store === 'postgres' ? 'postgres' : 'sqlite',
    postgresUrl,
    heartbeatSeconds: positiveNumber(env, 'EMBGUARD_AUDIT_HEARTBEAT_SECONDS', 60, problems),
    checkpointSeconds: positiveNumber(env, 'EMBGUARD_AUDIT_CHECKPOINT_SECONDS', 10, problems),
    origin: env.EMBGUARD_AUDIT_ORIGIN || 'embguard.local/audit',
    exportDir: env.EMBGUARD_AUDIT_EXPORT_DIR ? path.resolve(env.EMBGUARD_AUDIT_EXPORT_DIR) : undefined,
    witnessKeyFile: env.EMBGUARD_AUDIT_WITNESS_KEY ? path.resolve(env.EMBGUARD_AUDIT_WITNESS_KEY) : undefined,
    excerptRetentionDays: positiveNumber(env, 'EMBGUARD_AUDIT_RETENTION_DAYS', 30, problems),
  };
}
