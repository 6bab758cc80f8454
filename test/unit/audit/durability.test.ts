import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openAuditLog,
  openPostgresStore,
  openSqliteStore,
  verifyStore,
  type AuditStore,
} from '../../../control-plane/src/audit/index.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { loadOrCreateSignerKey, parseVerifierKey } from '../../../control-plane/src/signing/index.ts';
import pg from 'pg';
import { HMAC_KEYED_LOG, requestReceived } from '../../fixtures/audit/events.ts';
import { requirePostgres, startPostgres, type PostgresCluster } from '../../helpers/postgres.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const CHILD = path.join(PROJECT_ROOT, 'test/fixtures/audit/writer-child.ts');
const ORIGIN = 'embguard.test/audit';

interface Ack {
  index: number;
  id: string;
}

/** Runs the writer child; resolves with the acks it printed, killing it with SIGKILL after `killAfter` acks. */
function runWriter(args: string[], killAfter?: number): Promise<{ acks: Ack[]; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acks: Ack[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, index, id] = line.split(' ');
    if (word !== 'ack') return;
    acks.push({ index: Number(index), id: id ?? '' });
    if (killAfter !== undefined && acks.length === killAfter) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ acks, signal }));
  });
}

async function expectAcksPresent(store: AuditStore, acks: readonly Ack[]): Promise<void> {
  const size = await store.size();
  const entries = await store.readEntries(0, size);
  const byIndex = new Map(entries.map((e) => [e.index, e.id]));
  const lost = acks.filter((a) => byIndex.get(a.index) !== a.id);
  expect(lost).toEqual([]);
}

async function reopenAndVerify(store: AuditStore, keyFile: string): Promise<void> {
  const signer = loadOrCreateSignerKey(keyFile, ORIGIN);
  const log = openAuditLog({ store, signer, excerptKey: Buffer.alloc(32, 1), checkpointIntervalMs: 0 });
  await log.tick();
  const report = await verifyStore(store, { verifiers: [parseVerifierKey(signer.vkey)], origin: ORIGIN });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.uncovered).toBe(0);
  await log.close();
}

describe('crash safety (SQLite)', () => {
  it('a writer killed with SIGKILL loses no acknowledged record and leaves a log that verifies', async () => {
    const tmp = makeTempDir();
    try {
      const file = path.join(tmp.dir, 'audit.db');
      const keyFile = path.join(tmp.dir, 'log.key');
      const { acks, signal } = await runWriter(['sqlite', file, keyFile, '0', '16'], 1500);
      expect(signal).toBe('SIGKILL');
      expect(acks.length).toBeGreaterThanOrEqual(1500);
      const store = openSqliteStore(file);
      await expectAcksPresent(store, acks);
      await reopenAndVerify(store, keyFile);
    } finally {
      tmp.cleanup();
    }
  });
});


describe('PostgreSQL store', () => {
  requirePostgres();
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('moves excerpts kept under their HMAC to their entry\'s leaf index when a store opens', async () => {
    const url = await cluster.createDatabase('hmac_keyed_excerpts');
    await (await openPostgresStore(url)).close();
    const legacy = new pg.Client({ connectionString: url });
    await legacy.connect();
    try {
      await legacy.query('CREATE TABLE audit_excerpts (hmac TEXT PRIMARY KEY, created_ms BIGINT NOT NULL, text TEXT NOT NULL)');
      for (const e of HMAC_KEYED_LOG.entries) {
        await legacy.query('INSERT INTO audit_entries (idx, id, type, leaf) VALUES ($1, $2, $3, $4)', [e.idx, e.id, e.type, e.leaf]);
      }
      for (const x of HMAC_KEYED_LOG.excerpts) {
        await legacy.query('INSERT INTO audit_excerpts (hmac, created_ms, text) VALUES ($1, $2, $3)', [x.hmac, x.createdMs, x.text]);
      }
      const store = await openPostgresStore(url);
      try {
        expect(await store.getExcerpt(0)).toBe('excerpt of entry 0');
        expect(await store.getExcerpt(1)).toBeUndefined();
        expect(await store.getExcerpt(2)).toBe('excerpt of entry 2');
        expect(await store.deleteExcerptsBefore(2)).toBe(1);
      } finally {
        await store.close();
      }
      expect((await legacy.query("SELECT to_regclass('audit_excerpts') AS old")).rows).toEqual([{ old: null }]);
    } finally {
      await legacy.end();
    }
  });

  it('two pools appending concurrently build one contiguous log that verifies', async () => {
    const tmp = makeTempDir();
    const keyFile = path.join(tmp.dir, 'log.key');
    const signer = loadOrCreateSignerKey(keyFile, ORIGIN);
    const url = await cluster.createDatabase('two_pools');
    const stores = [await openPostgresStore(url), await openPostgresStore(url)];
    const logs = stores.map((store) => openAuditLog({ store, signer, excerptKey: Buffer.alloc(32, 1), checkpointIntervalMs: 0 }));
    try {
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) => (logs[i % 2] ?? logs[0])?.append(requestReceived(i, i % 3 === 0))),
      );
      await Promise.all(logs.map((l) => l?.tick()));
      const indexes = results.map((r) => r?.index ?? -1).sort((a, b) => a - b);
      expect(indexes).toEqual(Array.from({ length: 400 }, (_, i) => i));
      const store = stores[0] as AuditStore;
      const report = await verifyStore(store, { verifiers: [parseVerifierKey(signer.vkey)], origin: ORIGIN });
      expect(report).toMatchObject({ ok: true, entries: 400, problems: [] });
      expect(report.validCheckpoints).toBeGreaterThanOrEqual(1);
    } finally {
      for (const l of logs) await l?.close();
      tmp.cleanup();
    }
  });

  it('two processes appending concurrently, one killed with SIGKILL, lose no ack and verify', async () => {
    const tmp = makeTempDir();
    try {
      const keyFile = path.join(tmp.dir, 'log.key');
      const url = await cluster.createDatabase('two_procs');
      // Create the schema and the key once, so both children share them.
      const store = await openPostgresStore(url);
      loadOrCreateSignerKey(keyFile, ORIGIN);
      const before = await store.size();
      const [killed, finished] = await Promise.all([
        runWriter(['postgres', url, keyFile, '0', '8'], 400),
        runWriter(['postgres', url, keyFile, '600', '8']),
      ]);
      expect(killed.signal).toBe('SIGKILL');
      expect(finished.acks).toHaveLength(600);
      const acks = [...killed.acks, ...finished.acks];
      expect(new Set(acks.map((a) => a.index)).size).toBe(acks.length);
      expect(Math.min(...acks.map((a) => a.index))).toBeGreaterThanOrEqual(before);
      await expectAcksPresent(store, acks);
      await reopenAndVerify(store, keyFile);
    } finally {
      tmp.cleanup();
    }
  });
});
