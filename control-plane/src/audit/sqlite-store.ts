import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditStore, EntryRow, PendingEntry, StoredCheckpoint } from './store.ts';
import { entryFromRow, excerptRows } from './store.ts';

// Entries are append-only: triggers refuse UPDATE and DELETE (a speed bump; the signed, exported
// checkpoints are the real control against someone with write access to the file).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, leaf TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, time_ms INTEGER NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS excerpts (hmac TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS excerpts_created ON excerpts (created_ms);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, next INTEGER NOT NULL);
`;

const INSERT_CHUNK = 32;

/**
 * Opens (creating if needed) the embedded SQLite audit store: WAL journal with `synchronous=FULL`
 * so a commit survives power loss, which `NORMAL` does not guarantee in WAL mode.
 */
export function openSqliteStore(file: string): AuditStore {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const nextIndex = db.prepare<[], { next: number }>('SELECT coalesce(max(idx) + 1, 0) AS next FROM entries');
  const insertEntry = db.prepare('INSERT INTO entries (idx, id, type, leaf) VALUES (?, ?, ?, ?)');
  // One statement per chunk of rows: group commit's batches would otherwise pay the per-statement
  // overhead once per row.
  const insertChunk = db.prepare(
    `INSERT INTO entries (idx, id, type, leaf) VALUES ${Array.from({ length: INSERT_CHUNK }, () => '(?, ?, ?, ?)').join(', ')}`,
  );
  const insertExcerpt = db.prepare('INSERT INTO excerpts (hmac, created_ms, text) VALUES (?, ?, ?)');
  const readRange = db.prepare<[number, number], EntryRow>(
    'SELECT idx, id, type, leaf FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx',
  );
  const byId = db.prepare<[string], EntryRow>('SELECT idx, id, type, leaf FROM entries WHERE id = ?');
  // One statement, so the check and the insert happen under the same write lock.
  const insertCheckpoint = db.prepare(
    'INSERT INTO checkpoints (size, time_ms, note) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE size > ?)',
  );
  const allCheckpoints = db.prepare<[], { seq: number; size: number; time_ms: number; note: string }>(
    'SELECT seq, size, time_ms, note FROM checkpoints ORDER BY seq',
  );
  const excerptByHmac = db.prepare<[string], { text: string }>('SELECT text FROM excerpts WHERE hmac = ?');
  const deleteExcerpts = db.prepare('DELETE FROM excerpts WHERE created_ms < ?');
  const cursorByName = db.prepare<[string], { next: number }>('SELECT next FROM cursors WHERE name = ?');
  const upsertCursor = db.prepare(
    'INSERT INTO cursors (name, next) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET next = excluded.next',
  );

  // IMMEDIATE takes the write lock up front, so reading max(idx) and inserting are one atomic step
  // even if another process shares the file.
  const appendTx = db.transaction((entries: readonly PendingEntry[]): number => {
    const start = (nextIndex.get() as { next: number }).next;
    let i = 0;
    for (; i + INSERT_CHUNK <= entries.length; i += INSERT_CHUNK) {
      insertChunk.run(entries.slice(i, i + INSERT_CHUNK).flatMap((e, j) => [start + i + j, e.id, e.type, e.leaf]));
    }
    for (; i < entries.length; i += 1) {
      const e = entries[i] as PendingEntry;
      insertEntry.run(start + i, e.id, e.type, e.leaf);
    }
    for (const x of excerptRows(entries)) insertExcerpt.run(x.hmac, x.createdMs, x.text);
    return start;
  });

  return {
    kind: 'sqlite',
    appendBatch: async (entries) => appendTx.immediate(entries),
    size: async () => (nextIndex.get() as { next: number }).next,
    readEntries: async (from, to) => readRange.all(from, to).map(entryFromRow),
    findEntry: async (id) => {
      const row = byId.get(id);
      return row ? entryFromRow(row) : undefined;
    },
    addCheckpoint: async (cp) => {
      const result = insertCheckpoint.run(cp.size, cp.timeMs, cp.note, cp.size);
      return result.changes === 1 ? Number(result.lastInsertRowid) : undefined;
    },
    listCheckpoints: async (): Promise<StoredCheckpoint[]> =>
      allCheckpoints.all().map((r) => ({ seq: r.seq, size: r.size, timeMs: r.time_ms, note: r.note })),
    getExcerpt: async (hmac) => excerptByHmac.get(hmac)?.text,
    deleteExcerptsBefore: async (cutoffMs) => deleteExcerpts.run(cutoffMs).changes,
    getCursor: async (name) => cursorByName.get(name)?.next ?? 0,
    setCursor: async (name, next) => {
      upsertCursor.run(name, next);
    },
    close: async () => {
      db.close();
    },
  };
}
