import path from 'node:path';
import { Command } from 'commander';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  auditPaths,
  leafHash,
  MerkleAccumulator,
  openConfiguredAuditLog,
  openSqliteStore,
  parseCheckpoint,
  readExportedCheckpoints,
  signCheckpoint,
  verifyStore,
  type AuditStore,
} from '../../../control-plane/src/audit/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { registerAuditCommands } from '../../../control-plane/src/cli/commands/audit.ts';
import { loadConfig } from '../../../control-plane/src/config/index.ts';
import { generateKeyStrings, parseNote, parseSignerKey, parseVerifierKey } from '../../../control-plane/src/signing/index.ts';
import { requestReceived } from '../../fixtures/audit/events.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const ENTRIES = 10;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/**
 * A log of 10 request events with a checkpoint signed after every append (so verification can
 * name the exact entry), written through the configured path under a temporary EMBGUARD_HOME.
 */
async function buildLog(): Promise<{ home: string; env: Record<string, string>; db: string; ids: string[]; exportDir: string }> {
  const tmp = makeTempDir();
  cleanups.push(tmp.cleanup);
  const exportDir = path.join(tmp.dir, 'worm');
  const env = { EMBGUARD_HOME: tmp.dir, EMBGUARD_AUDIT_ORIGIN: 'embguard.test/audit', EMBGUARD_AUDIT_EXPORT_DIR: exportDir };
  const config = loadConfig(env);
  const log = await openConfiguredAuditLog(config, { clock: new FakeClock(), checkpointTimer: false });
  const ids: string[] = [];
  for (let i = 0; i < ENTRIES; i += 1) {
    ids.push((await log.append(requestReceived(i))).id);
    await log.tick();
  }
  await log.close();
  return { home: tmp.dir, env, db: auditPaths(tmp.dir).sqlite, ids, exportDir };
}

/** Opens the database as an insider would, with the append-only triggers dropped. */
function tamper(db: string, sql: string): void {
  const conn = new Database(db);
  conn.exec('DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;');
  conn.exec(sql);
  conn.close();
}

async function report(home: string, options: { external?: boolean; exportDir?: string } = {}) {
  const store: AuditStore = openSqliteStore(auditPaths(home).sqlite);
  try {
    const vkey = (await import('node:fs')).readFileSync(`${auditPaths(home).logKey}.pub`, 'utf8');
    const exported = options.exportDir ? readExportedCheckpoints(options.exportDir) : [];
    return await verifyStore(store, {
      verifiers: [parseVerifierKey(vkey)],
      origin: 'embguard.test/audit',
      externalCheckpoints: exported.map((e) => ({ name: e.file, note: e.note })),
    });
  } finally {
    await store.close();
  }
}

describe('audit verify detects tampering', () => {
  it('accepts an untouched log', async () => {
    const { home } = await buildLog();
    const r = await report(home);
    expect(r).toMatchObject({ ok: true, entries: ENTRIES, validEntries: ENTRIES, checkpoints: ENTRIES, validCheckpoints: ENTRIES, uncovered: 0 });
  });

  it('names an entry with a changed byte', async () => {
    const { home, db } = await buildLog();
    tamper(db, "UPDATE entries SET leaf = replace(leaf, 'user-4', 'user-5') WHERE idx = 4");
    const r = await report(home);
    expect(r.ok).toBe(false);
    expect(r.validEntries).toBe(4);
    expect(r.problems[0]).toMatchObject({ kind: 'root_mismatch', index: 4 });
  });

  it('names a deleted entry', async () => {
    const { home, db } = await buildLog();
    tamper(db, 'DELETE FROM entries WHERE idx = 6');
    const r = await report(home);
    expect(r.validEntries).toBe(6);
    expect(r.problems[0]).toMatchObject({ kind: 'missing_entry', index: 6 });
  });

  it('names a reordered pair', async () => {
    const { home, db } = await buildLog();
    tamper(
      db,
      `UPDATE entries SET idx = -1 WHERE idx = 2; UPDATE entries SET idx = 2 WHERE idx = 3; UPDATE entries SET idx = 3 WHERE idx = -1;`,
    );
    const r = await report(home);
    expect(r.validEntries).toBe(2);
    expect(r.problems[0]).toMatchObject({ kind: 'root_mismatch', index: 2 });
  });

  it('names a truncated log', async () => {
    const { home, db } = await buildLog();
    tamper(db, 'DELETE FROM entries WHERE idx >= 7');
    const r = await report(home);
    expect(r.entries).toBe(7);
    expect(r.problems.map((p) => p.kind)).toContain('truncated');
    expect(r.problems[0]).toMatchObject({ index: 7 });
  });

  it('rejects checkpoints forged and re-signed with another key after rewriting history', async () => {
    const { home, db } = await buildLog();
    tamper(db, "UPDATE entries SET leaf = replace(leaf, 'user-4', 'user-5') WHERE idx = 4");
    // The forger recomputes the tree and re-signs every checkpoint under the log's name with their own key.
    const forger = parseSignerKey(generateKeyStrings('embguard.test/audit').skey);
    const conn = new Database(db);
    const leaves = conn.prepare<[], { leaf: string }>('SELECT leaf FROM entries ORDER BY idx').all();
    const rows = conn.prepare<[], { seq: number; note: string }>('SELECT seq, note FROM checkpoints').all();
    for (const row of rows) {
      const cp = parseCheckpoint(parseNote(row.note).text);
      const tree = new MerkleAccumulator();
      for (const { leaf } of leaves.slice(0, cp.size)) tree.push(leafHash(Buffer.from(leaf)));
      const forged = signCheckpoint({ ...cp, rootHash: tree.root() }, [forger]);
      conn.prepare('UPDATE checkpoints SET note = ? WHERE seq = ?').run(forged, row.seq);
    }
    conn.close();
    const r = await report(home);
    expect(r.ok).toBe(false);
    expect(r.validCheckpoints).toBe(0);
    expect(r.problems[0]).toMatchObject({ kind: 'bad_checkpoint_signature', checkpoint: '#1' });
  });

  it('catches history rewritten with the real key through the exported checkpoints', async () => {
    const { home, db, exportDir } = await buildLog();
    tamper(db, "UPDATE entries SET leaf = replace(leaf, 'user-4', 'user-5') WHERE idx = 4; DELETE FROM checkpoints;");
    // An insider with the log key re-signs a checkpoint over the rewritten log.
    const config = loadConfig({ EMBGUARD_HOME: home, EMBGUARD_AUDIT_ORIGIN: 'embguard.test/audit' });
    const log = await openConfiguredAuditLog(config, { clock: new FakeClock(), checkpointTimer: false });
    await log.tick();
    await log.close();
    expect((await report(home)).ok).toBe(true);
    const r = await report(home, { exportDir });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ kind: 'root_mismatch', index: 4 });
  });
});

describe('embguard audit CLI', () => {
  /** Runs `embguard audit …` in-process against the given environment, capturing its output. */
  async function cli(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    const program = new Command('embguard').exitOverride();
    registerAuditCommands(program);
    process.exitCode = undefined;
    try {
      await program.parseAsync(['node', 'embguard', 'audit', ...args]);
      return { status: typeof process.exitCode === 'number' ? process.exitCode : 0, stdout: out.join(''), stderr: err.join('') };
    } finally {
      process.exitCode = undefined;
      stdout.mockRestore();
      stderr.mockRestore();
      vi.unstubAllEnvs();
    }
  }

  it('verify prints N/N entries valid, and exits 1 naming the first bad entry', async () => {
    const { env, db } = await buildLog();
    const good = await cli(['verify'], env);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain(`${ENTRIES}/${ENTRIES} entries valid`);
    tamper(db, "UPDATE entries SET leaf = replace(leaf, 'user-4', 'user-5') WHERE idx = 4");
    const bad = await cli(['verify'], env);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`4/${ENTRIES} entries valid`);
    expect(bad.stderr).toMatch(/entries 4\.\.\d+ do not match checkpoint/);
  });

  it('tail filters by type and proof prints a tlog-proof', async () => {
    const { env, ids } = await buildLog();
    const tail = await cli(['tail', '--type', 'request.received', '-n', '3'], env);
    expect(tail.status).toBe(0);
    const lines = tail.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id)).toEqual(ids.slice(-3));
    const proof = await cli(['proof', ids[3] ?? ''], env);
    expect(proof.status).toBe(0);
    expect(proof.stdout).toMatch(/^c2sp\.org\/tlog-proof@v1\nindex 3\n/);
  });
});
