import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

// Entries are append-only: triggers refuse UPDATE and DELETE (a speed bump; the signed, exported
// checkpoints are the real control against someone with write access to the file).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, leaf TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, time_ms INTEGER NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entry_excerpts (idx INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entry_excerpts_created ON entry_excerpts (created_ms);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, next INTEGER NOT NULL);
`;

/**
 * Stores written before excerpts were keyed by leaf index kept them in `excerpts`, keyed by their
 * HMAC: each moves to its entry's index (found through the HMAC its leaf commits to), in one
 * transaction, so an interrupted migration leaves the old table whole. A leaf that is not JSON (a
 * tampered store, which `audit verify` reports) matches nothing instead of failing the open.
 */
function migrateHmacKeyedExcerpts(db: Database.Database): void {
  const hasOldTable = (): boolean =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'excerpts'").get() !== undefined;
  // Checked before taking the write lock, so opening a migrated store (every open, readers too)
  // does not wait for the writer; checked again under the lock for a concurrent opener.
  if (!hasOldTable()) return;
  db.transaction(() => {
    if (!hasOldTable()) return;
    db.exec(`INSERT OR IGNORE INTO entry_excerpts (idx, created_ms, text)
      SELECT e.idx, x.created_ms, x.text FROM entries e
      JOIN excerpts x ON x.hmac = CASE WHEN json_valid(e.leaf) THEN json_extract(e.leaf, '$.request.excerptHmac') END;
      DROP TABLE excerpts;`);
  }).immediate();
}

/**
 * Opens a connection to the SQLite audit file (creating file and schema if needed): WAL journal
 * with `synchronous=FULL`, so a commit survives power loss, which `NORMAL` does not guarantee in
 * WAL mode. Both the reading connection and the writer worker's connection are opened this way.
 */
export function openSqliteConnection(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    migrateHmacKeyedExcerpts(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** `SELECT` of the next leaf index (one past the largest stored). */
export const NEXT_INDEX_SQL = 'SELECT coalesce(max(idx) + 1, 0) AS next FROM entries';
