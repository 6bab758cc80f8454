import { Worker } from 'node:worker_threads';
import type { AuditStore, EntryRow, StoredCheckpoint } from './store.ts';
import { entryFromRow } from './store.ts';
import { NEXT_INDEX_SQL, openSqliteConnection } from './sqlite-schema.ts';
import type { WriteOp, WriteResult, WriterCommand, WriterReply, WriterRequest } from './sqlite-writer.ts';

const WORKER_URL = new URL('./sqlite-writer-worker.mjs', import.meta.url);

interface Waiting {
  resolve: (value: WriteResult) => void;
  reject: (err: Error) => void;
}

function replyError(error: Extract<WriterReply, { ok: false }>['error']): Error {
  const err = Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
  err.name = error.name;
  return err;
}

/**
 * The main-thread side of the writer thread: started on the first write, restarted on the next
 * write if it died. It keeps the process alive only while a write is in flight.
 */
class SqliteWriterThread {
  readonly #file: string;
  #worker: Worker | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;
  #closing = false;

  constructor(file: string) {
    this.#file = file;
  }

  write(op: WriteOp): Promise<WriteResult> {
    return this.#request(op);
  }

  /** Starts the thread now rather than on the first write (loading it takes ~0.2 s). */
  start(): void {
    this.#worker ??= this.#start();
  }

  /** Closes the writer's connection after every earlier write, and waits for the thread to end. */
  async close(): Promise<void> {
    this.#closing = true;
    // Referenced until it exits: otherwise nothing else may keep this process alive to see the exit.
    this.#worker?.ref();
    if (this.#worker) await this.#request({ op: 'close' }).catch(() => undefined);
    await this.#exited;
  }

  #request(command: WriterCommand): Promise<WriteResult> {
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId;
    this.#nextId += 1;
    if (this.#waiting.size === 0) worker.ref();
    return new Promise<WriteResult>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // Not `{ ...command, id }`: a leading spread of a fresh object is V8's clone path, which makes
      // young GCs copy what it cloned (see buildEntry in log.ts); at 20k appends/s p99.9 8 → 5 ms.
      worker.postMessage(Object.assign({ id }, command) satisfies WriterRequest);
    });
  }

  #start(): Worker {
    const worker = new Worker(WORKER_URL, { workerData: { file: this.#file } });
    worker.unref();
    let failure: Error | undefined;
    worker.on('message', (reply: WriterReply) => this.#settle(reply));
    worker.on('error', (err) => {
      failure = err;
    });
    this.#exited = new Promise((resolve) => {
      worker.on('exit', (code) => {
        this.#worker = undefined;
        const err = failure ?? new Error(`audit writer thread exited (code ${code})`);
        for (const waiting of this.#waiting.values()) waiting.reject(err);
        this.#waiting.clear();
        resolve();
      });
    });
    this.#worker = worker;
    return worker;
  }

  #settle(reply: WriterReply): void {
    const waiting = this.#waiting.get(reply.id);
    if (!waiting) return;
    this.#waiting.delete(reply.id);
    if (this.#waiting.size === 0 && !this.#closing) this.#worker?.unref();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(replyError(reply.error));
  }
}

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /**
   * Start the writer thread at open, so the first append does not wait for it to load (a
   * long-running writer such as the processor). Default: start it on the first write, so
   * read-only users never pay for it.
   */
  startWriter?: boolean;
}

/**
 * Opens (creating if needed) the embedded SQLite audit store (WAL, `synchronous=FULL`). Reads run
 * on a connection in this thread; writes run on a second connection in a worker thread, so the
 * fsync of each group commit overlaps with request handling instead of blocking the event loop.
 * `appendBatch` still resolves only once its transaction is durably committed.
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): AuditStore {
  const db = openSqliteConnection(file);
  const writer = new SqliteWriterThread(file);
  if (options.startWriter) writer.start();
  const nextIndex = db.prepare<[], { next: number }>(NEXT_INDEX_SQL);
  const readRange = db.prepare<[number, number], EntryRow>(
    'SELECT idx, id, type, leaf FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx',
  );
  const byId = db.prepare<[string], EntryRow>('SELECT idx, id, type, leaf FROM entries WHERE id = ?');
  const allCheckpoints = db.prepare<[], { seq: number; size: number; time_ms: number; note: string }>(
    'SELECT seq, size, time_ms, note FROM checkpoints ORDER BY seq',
  );
  const excerptByIndex = db.prepare<[number], { text: string }>('SELECT text FROM entry_excerpts WHERE idx = ?');
  const cursorByName = db.prepare<[string], { next: number }>('SELECT next FROM cursors WHERE name = ?');
  let closed = false;

  const write = (op: WriteOp): Promise<WriteResult> =>
    closed ? Promise.reject(new Error('audit store is closed')) : writer.write(op);

  return {
    kind: 'sqlite',
    appendBatch: async (entries) => (await write({ op: 'append', entries })) as number,
    size: async () => (nextIndex.get() as { next: number }).next,
    readEntries: async (from, to) => readRange.all(from, to).map(entryFromRow),
    findEntry: async (id) => {
      const row = byId.get(id);
      return row ? entryFromRow(row) : undefined;
    },
    addCheckpoint: async (checkpoint) => (await write({ op: 'checkpoint', checkpoint })) ?? undefined,
    listCheckpoints: async (): Promise<StoredCheckpoint[]> =>
      allCheckpoints.all().map((r) => ({ seq: r.seq, size: r.size, timeMs: r.time_ms, note: r.note })),
    getExcerpt: async (index) => excerptByIndex.get(index)?.text,
    deleteExcerptsBefore: async (cutoffMs) => (await write({ op: 'deleteExcerpts', cutoffMs })) as number,
    getCursor: async (name) => cursorByName.get(name)?.next ?? 0,
    setCursor: async (name, next) => {
      await write({ op: 'setCursor', name, next });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await writer.close();
      db.close();
    },
  };
}
