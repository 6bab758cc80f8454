import type { MessagePort } from 'node:worker_threads';
import { NEXT_INDEX_SQL, openSqliteConnection } from './sqlite-schema.ts';
import type { PendingEntry, StoredCheckpoint } from './store.ts';
import { excerptRows } from './store.ts';

/** A write the SQLite store hands to its writer thread. */
export type WriteOp =
  | { op: 'append'; entries: readonly PendingEntry[] }
  | { op: 'checkpoint'; checkpoint: Omit<StoredCheckpoint, 'seq'> }
  | { op: 'deleteExcerpts'; cutoffMs: number }
  | { op: 'setCursor'; name: string; next: number };

/** What each write returns: first index, checkpoint seq (null = refused), rows deleted, nothing. */
export type WriteResult = number | null | undefined;

/** What the store asks of its writer thread: a write, or `close` (closes the connection). */
export type WriterCommand = WriteOp | { op: 'close' };

/** A command as posted to the writer thread, with the id its reply carries. */
export type WriterRequest = WriterCommand & { id: number };

/** The writer thread's answer to one request, in request order. */
export type WriterReply =
  | { id: number; ok: true; value: WriteResult }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

const INSERT_CHUNK = 32;

/** Checkpoints between requests run at most this often (at 20k appends/s: ~500 WAL pages each). */
const IDLE_CHECKPOINT_MS = 20;

/**
 * The write side of the SQLite audit store on its own connection: the append transaction,
 * checkpoint, retention and cursor writes. Synchronous (better-sqlite3), so it runs in a worker
 * thread: each commit waits for an fsync, which must not block the processor's event loop.
 */
export function openSqliteWriter(file: string): { write(op: WriteOp): WriteResult; checkpoint(): void; close(): void } {
  const db = openSqliteConnection(file);
  const nextIndex = db.prepare<[], { next: number }>(NEXT_INDEX_SQL);
  const insertEntry = db.prepare('INSERT INTO entries (idx, id, type, leaf) VALUES (?, ?, ?, ?)');
  // One statement per chunk of rows: group commit's batches would otherwise pay the per-statement
  // overhead once per row.
  const insertChunk = db.prepare(
    `INSERT INTO entries (idx, id, type, leaf) VALUES ${Array.from({ length: INSERT_CHUNK }, () => '(?, ?, ?, ?)').join(', ')}`,
  );
  const insertExcerpt = db.prepare('INSERT INTO entry_excerpts (idx, created_ms, text) VALUES (?, ?, ?)');
  // One statement, so the check and the insert happen under the same write lock.
  const insertCheckpoint = db.prepare(
    'INSERT INTO checkpoints (size, time_ms, note) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE size > ?)',
  );
  const deleteExcerpts = db.prepare('DELETE FROM entry_excerpts WHERE created_ms < ?');
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
    for (const x of excerptRows(entries, start)) insertExcerpt.run(x.index, x.createdMs, x.text);
    return start;
  });

  function write(op: WriteOp): WriteResult {
    switch (op.op) {
      case 'append':
        return appendTx.immediate(op.entries);
      case 'checkpoint': {
        const { size, timeMs, note } = op.checkpoint;
        const result = insertCheckpoint.run(size, timeMs, note, size);
        return result.changes === 1 ? Number(result.lastInsertRowid) : null;
      }
      case 'deleteExcerpts':
        return deleteExcerpts.run(op.cutoffMs).changes;
      case 'setCursor':
        upsertCursor.run(op.name, op.next);
        return undefined;
    }
  }

  return { write, checkpoint: () => void db.pragma('wal_checkpoint(PASSIVE)'), close: () => db.close() };
}

function errorReply(id: number, err: unknown): WriterReply {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { id, ok: false, error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) } };
}

/**
 * Serves write requests from the store's thread on `port`, one at a time in arrival order (so a
 * reply always follows the commit of its own request and of every earlier one). On `close`,
 * closes the connection and the port, which lets the thread exit.
 */
export function serveSqliteWriter(port: MessagePort, file: string): void {
  const writer = openSqliteWriter(file);
  // Copying the WAL into the database file takes milliseconds. SQLite's automatic checkpoint does
  // it inside whichever commit crosses 1,000 WAL pages, so that commit and every append queued
  // behind it wait (at 20k appends/s: 72 commits over 5 ms in 10 s, the slowest 42 ms). Done here
  // once no request is waiting, it keeps the WAL short and the automatic one finds nothing to do
  // (then: 2 commits over 5 ms, the slowest 8 ms). A performance heuristic, so the monotonic
  // `performance.now()` rather than the injectable clock.
  let lastCheckpointAt = performance.now();
  let checkpointTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const checkpoint = (): void => {
    if (closed) return;
    lastCheckpointAt = performance.now();
    try {
      writer.checkpoint();
    } catch {
      // Best effort: the automatic checkpoint still bounds the WAL.
    }
  };
  // The timer only waits out the interval; setImmediate then runs after every message that
  // arrived meanwhile has been answered, so the checkpoint takes the writer only when it is idle.
  const scheduleCheckpoint = (): void => {
    if (checkpointTimer) return;
    const wait = Math.max(0, IDLE_CHECKPOINT_MS - (performance.now() - lastCheckpointAt));
    checkpointTimer = setTimeout(() => setImmediate(() => {
      checkpointTimer = undefined;
      checkpoint();
    }), wait);
  };
  port.on('message', (request: WriterRequest) => {
    if (request.op === 'close') {
      clearTimeout(checkpointTimer);
      closed = true;
      writer.close();
      port.postMessage({ id: request.id, ok: true, value: undefined } satisfies WriterReply);
      port.close();
      return;
    }
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, value: writer.write(request) };
    } catch (err) {
      reply = errorReply(request.id, err);
    }
    port.postMessage(reply);
    scheduleCheckpoint();
  });
}
