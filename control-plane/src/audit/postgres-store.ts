import pg from 'pg';
import type { AuditStore, EntryRow, PendingEntry, StoredCheckpoint } from './store.ts';
import { entryFromRow, excerptRows } from './store.ts';

// Leaf indexes come from a single-row sequencer locked with SELECT … FOR UPDATE inside the append
// transaction (as Tessera's SQL drivers do), never from a sequence: a sequence leaves gaps on abort
// and its order is not commit order. Holding the row lock until COMMIT makes commit order = index
// order, so readers always see a contiguous prefix.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_sequencer (id INT PRIMARY KEY CHECK (id = 1), next_idx BIGINT NOT NULL);
INSERT INTO audit_sequencer (id, next_idx) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS audit_entries (idx BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, leaf TEXT NOT NULL);
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$;
CREATE OR REPLACE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
CREATE TABLE IF NOT EXISTS audit_checkpoints (seq BIGSERIAL PRIMARY KEY, size BIGINT NOT NULL, time_ms BIGINT NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_entry_excerpts (idx BIGINT PRIMARY KEY, created_ms BIGINT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_entry_excerpts_created ON audit_entry_excerpts (created_ms);
CREATE TABLE IF NOT EXISTS audit_cursors (name TEXT PRIMARY KEY, next BIGINT NOT NULL);
`;
// Stores written before excerpts were keyed by leaf index kept them in audit_excerpts, keyed by their
// HMAC: each moves to its entry's index (found through the HMAC its leaf commits to), in the schema
// transaction. The HMAC is read from the leaf text, not by casting it to jsonb, so a leaf that is
// not JSON (a tampered store, which `audit verify` reports) matches nothing instead of failing the
// open. In canonical JSON the key appears exactly so, and a quote inside a string value is escaped.
const MIGRATE_HMAC_KEYED_EXCERPTS = `
DO $$ BEGIN
  IF to_regclass('audit_excerpts') IS NOT NULL THEN
    INSERT INTO audit_entry_excerpts (idx, created_ms, text)
      SELECT e.idx, x.created_ms, x.text FROM audit_entries e
      JOIN audit_excerpts x ON x.hmac = substring(e.leaf from '"excerptHmac":"([0-9a-f]{64})"')
      ON CONFLICT (idx) DO NOTHING;
    DROP TABLE audit_excerpts;
  END IF;
END $$;
`;
// Serialises schema creation between processors starting at the same time.
const SCHEMA_LOCK_KEY = 0x656d6267;

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function insertBatch(client: pg.PoolClient, entries: readonly PendingEntry[]): Promise<number> {
  const seq = await client.query<{ next_idx: string }>('SELECT next_idx FROM audit_sequencer WHERE id = 1 FOR UPDATE');
  const start = Number(seq.rows[0]?.next_idx);
  await client.query(
    `INSERT INTO audit_entries (idx, id, type, leaf)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`,
    [entries.map((_, i) => start + i), entries.map((e) => e.id), entries.map((e) => e.type), entries.map((e) => e.leaf)],
  );
  const excerpts = excerptRows(entries, start);
  if (excerpts.length > 0) {
    await client.query(
      `INSERT INTO audit_entry_excerpts (idx, created_ms, text) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])`,
      [excerpts.map((x) => x.index), excerpts.map((x) => x.createdMs), excerpts.map((x) => x.text)],
    );
  }
  await client.query('UPDATE audit_sequencer SET next_idx = $1 WHERE id = 1', [start + entries.length]);
  return start;
}

/**
 * Opens the shared PostgreSQL audit store (several processors may append to one log). Sessions run
 * with `synchronous_commit = on`, so an acknowledged append is on disk.
 */
export async function openPostgresStore(connectionString: string, poolSize = 4): Promise<AuditStore> {
  // Force synchronous_commit on for our sessions whatever the server default: an acknowledged
  // append must be on disk.
  const pool = new pg.Pool({ connectionString, max: poolSize, options: '-c synchronous_commit=on' });
  // An idle client losing its connection must not crash the process; the next query fails instead.
  pool.on('error', () => undefined);
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    await client.query(SCHEMA);
    await client.query(MIGRATE_HMAC_KEYED_EXCERPTS);
  });

  return {
    kind: 'postgres',
    appendBatch: (entries) => inTransaction(pool, (client) => insertBatch(client, entries)),
    size: async () => {
      const r = await pool.query<{ next_idx: string }>('SELECT next_idx FROM audit_sequencer WHERE id = 1');
      return Number(r.rows[0]?.next_idx ?? 0);
    },
    readEntries: async (from, to) =>
      (
        await pool.query<EntryRow>('SELECT idx, id, type, leaf FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx', [
          from,
          to,
        ])
      ).rows.map(entryFromRow),
    findEntry: async (id) => {
      const r = await pool.query<EntryRow>('SELECT idx, id, type, leaf FROM audit_entries WHERE id = $1', [id]);
      return r.rows[0] ? entryFromRow(r.rows[0]) : undefined;
    },
    addCheckpoint: async (cp) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Serialises checkpoint writers so the size check and the insert are one step.
        await client.query('LOCK TABLE audit_checkpoints IN SHARE ROW EXCLUSIVE MODE');
        const r = await client.query<{ seq: string }>(
          'INSERT INTO audit_checkpoints (size, time_ms, note) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE size > $1) RETURNING seq',
          [cp.size, cp.timeMs, cp.note],
        );
        await client.query('COMMIT');
        return r.rows[0] ? Number(r.rows[0].seq) : undefined;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    listCheckpoints: async (): Promise<StoredCheckpoint[]> =>
      (
        await pool.query<{ seq: string; size: string; time_ms: string; note: string }>(
          'SELECT seq, size, time_ms, note FROM audit_checkpoints ORDER BY seq',
        )
      ).rows.map((r) => ({ seq: Number(r.seq), size: Number(r.size), timeMs: Number(r.time_ms), note: r.note })),
    getExcerpt: async (index) =>
      (await pool.query<{ text: string }>('SELECT text FROM audit_entry_excerpts WHERE idx = $1', [index])).rows[0]?.text,
    deleteExcerptsBefore: async (cutoffMs) =>
      (await pool.query('DELETE FROM audit_entry_excerpts WHERE created_ms < $1', [cutoffMs])).rowCount ?? 0,
    getCursor: async (name) => {
      const r = await pool.query<{ next: string }>('SELECT next FROM audit_cursors WHERE name = $1', [name]);
      return Number(r.rows[0]?.next ?? 0);
    },
    setCursor: async (name, next) => {
      await pool.query(
        'INSERT INTO audit_cursors (name, next) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET next = excluded.next',
        [name, next],
      );
    },
    close: () => pool.end(),
  };
}
