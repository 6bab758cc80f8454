import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { NoteVerifier } from '../signing/index.ts';
import { loadOrCreateSignerKey, parseSignerKey, parseVerifierKey } from '../signing/index.ts';
import { readExportedCheckpoints } from './checkpoint.ts';
import type { AuditLog } from './log.ts';
import { openAuditLog } from './log.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { AuditStore } from './store.ts';
import { verifyStore, type VerifyReport } from './verify.ts';

/** Where the audit files live under EMBGUARD_HOME. */
export function auditPaths(home: string): { sqlite: string; logKey: string; excerptKey: string } {
  return {
    sqlite: path.join(home, 'audit', 'audit.db'),
    logKey: path.join(home, 'keys', 'audit-log.key'),
    excerptKey: path.join(home, 'keys', 'audit-excerpt.key'),
  };
}

/**
 * Opens the store the configuration selects (SQLite under `home`, or the shared PostgreSQL).
 * `forWriting` readies SQLite's writer thread at once (see `SqliteStoreOptions.startWriter`).
 */
export async function openAuditStore(
  config: Pick<Config, 'home' | 'audit'>,
  options: { forWriting?: boolean } = {},
): Promise<AuditStore> {
  if (config.audit.store === 'postgres') return openPostgresStore(config.audit.postgresUrl ?? '');
  return openSqliteStore(auditPaths(config.home).sqlite, { startWriter: options.forWriting });
}

function loadOrCreateSecret(file: string): Buffer {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
}

/**
 * Opens the audit log as configured: store, log key (created on first use under `home/keys`),
 * optional witness key, excerpt HMAC key, heartbeat and export settings.
 */
export async function openConfiguredAuditLog(
  config: Pick<Config, 'home' | 'audit'>,
  deps: { clock?: Clock; logger?: Logger; checkpointTimer?: boolean } = {},
): Promise<AuditLog> {
  const paths = auditPaths(config.home);
  const { audit } = config;
  const store = await openAuditStore(config, { forWriting: true });
  return openAuditLog({
    store,
    signer: loadOrCreateSignerKey(paths.logKey, audit.origin),
    witness: audit.witnessKeyFile ? parseSignerKey(fs.readFileSync(audit.witnessKeyFile, 'utf8')) : undefined,
    excerptKey: loadOrCreateSecret(paths.excerptKey),
    clock: deps.clock,
    logger: deps.logger,
    heartbeatMs: audit.heartbeatSeconds * 1000,
    checkpointIntervalMs: deps.checkpointTimer === false ? 0 : audit.checkpointSeconds * 1000,
    exportDir: audit.exportDir,
    excerptRetentionMs: audit.excerptRetentionDays * 24 * 3600_000,
  });
}

/** The trusted keys for verification: given vkeys, else the `.pub` files next to the configured keys. */
export function configuredVerifiers(config: Pick<Config, 'home' | 'audit'>, vkeys: readonly string[] = []): NoteVerifier[] {
  if (vkeys.length > 0) return vkeys.map(parseVerifierKey);
  const files = [`${auditPaths(config.home).logKey}.pub`];
  if (config.audit.witnessKeyFile) files.push(`${config.audit.witnessKeyFile}.pub`);
  return files.filter((f) => fs.existsSync(f)).map((f) => parseVerifierKey(fs.readFileSync(f, 'utf8')));
}

/** Verifies the configured store (and its export directory, if any) with the given trusted keys. */
export async function verifyConfiguredStore(
  config: Pick<Config, 'home' | 'audit'>,
  verifiers: readonly NoteVerifier[],
): Promise<VerifyReport> {
  const store = await openAuditStore(config);
  try {
    const exported = config.audit.exportDir ? readExportedCheckpoints(config.audit.exportDir) : [];
    return await verifyStore(store, {
      verifiers,
      origin: config.audit.origin,
      heartbeatMs: config.audit.heartbeatSeconds * 1000,
      externalCheckpoints: exported.map((e) => ({ name: e.file, note: e.note })),
    });
  } finally {
    await store.close();
  }
}
