import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type AuditStore, type PendingEntry } from '../../../control-plane/src/audit/index.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { HMAC_KEYED_LOG } from '../../fixtures/audit/events.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const EXIT_CHILD = path.join(PROJECT_ROOT, 'test/fixtures/audit/store-exit-child.ts');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempFile(): string {
  const tmp = makeTempDir();
  cleanups.push(tmp.cleanup);
  return path.join(tmp.dir, 'audit.db');
}

function openStore(file: string): AuditStore {
  const store = openSqliteStore(file);
  cleanups.push(() => store.close());
  return store;
}

function entries(prefix: string, count: number): PendingEntry[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, type: 'request.received', leaf: `{"n":${i}}` }));
}

describe('SQLite store writer thread', () => {
  it('resolves appendBatch only once the batch is committed and visible to another connection', async () => {
    const file = tempFile();
    const store = openStore(file);
    expect(await store.appendBatch(entries('a', 40))).toBe(0);
    expect(await store.appendBatch(entries('b', 3))).toBe(40);
    const other = new Database(file, { readonly: true });
    try {
      const rows = other.prepare('SELECT idx, id FROM entries ORDER BY idx').all() as { idx: number; id: string }[];
      expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: 43 }, (_, i) => i));
      expect(rows[40]?.id).toBe('b-0');
    } finally {
      other.close();
    }
    expect(await store.size()).toBe(43);
  });

  it('keeps the event loop free while a commit waits for the write lock', async () => {
    const file = tempFile();
    const store = openStore(file);
    await store.appendBatch(entries('warm', 1));
    // Another connection (as another process would) holds the write lock; the commit must wait
    // in the writer thread, not on this thread, or the lock could never be released below.
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    let committed = false;
    const append = store.appendBatch(entries('late', 2)).then((start) => {
      committed = true;
      return start;
    });
    const loopTurns = await new Promise<number>((resolve) => {
      let turns = 0;
      const spin = (): void => {
        turns += 1;
        if (turns === 50) resolve(turns);
        else setImmediate(spin);
      };
      setImmediate(spin);
    });
    expect(loopTurns).toBe(50);
    expect(committed).toBe(false);
    blocker.exec('ROLLBACK');
    blocker.close();
    expect(await append).toBe(1);
  });

  it('rejects a failed commit with the SQLite error and keeps working afterwards', async () => {
    const file = tempFile();
    const store = openStore(file);
    await store.appendBatch(entries('a', 1));
    const failure = await store.appendBatch(entries('a', 1)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error & { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(await store.size()).toBe(1);
    expect(await store.appendBatch(entries('b', 2))).toBe(1);
  });

  it('keeps indexes contiguous with two stores appending to one file at once', async () => {
    const file = tempFile();
    const stores = [openStore(file), openStore(file)];
    const starts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (stores[i % 2] as AuditStore).appendBatch(entries(`s${i}`, 1 + (i % 5)))),
    );
    const sizes = Array.from({ length: 40 }, (_, i) => 1 + (i % 5));
    const ranges = starts.map((start, i) => [start, start + (sizes[i] as number)] as const).sort((x, y) => x[0] - y[0]);
    ranges.forEach(([start], i) => expect(start).toBe(i === 0 ? 0 : ranges[i - 1]?.[1]));
    expect(await stores[0]?.size()).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('still refuses UPDATE and DELETE of entries (append-only triggers)', async () => {
    const file = tempFile();
    const store = openStore(file);
    await store.appendBatch(entries('a', 1));
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE entries SET leaf = '{}' WHERE idx = 0").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('copies committed entries into the database file once the writer is idle, long before 1,000 WAL pages', async () => {
    const file = tempFile();
    const store = openStore(file);
    await store.appendBatch(entries('warm', 1));
    const before = fs.statSync(file).size;
    // About 40 pages of entries: far below SQLite's automatic checkpoint, which alone would leave
    // them in the WAL until the store closes.
    const leaf = JSON.stringify({ padding: 'x'.repeat(800) });
    for (let batch = 0; batch < 10; batch += 1) {
      await store.appendBatch(entries(`b${batch}`, 20).map((e) => ({ ...e, leaf })));
    }
    await expect.poll(() => fs.statSync(file).size, { timeout: 5000 }).toBeGreaterThan(before + 100_000);
  });

  it('closes a store whose writer thread was started at open but never written to', async () => {
    const file = tempFile();
    const store = openSqliteStore(file, { startWriter: true });
    expect(await store.size()).toBe(0);
    // Must neither hang waiting for a reply to a write that never came nor leave the thread running.
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('refuses writes after close', async () => {
    const store = openSqliteStore(tempFile());
    await store.appendBatch(entries('a', 1));
    await store.close();
    await expect(store.appendBatch(entries('b', 1))).rejects.toThrow(/closed/);
  });

  /** Runs the exit child; resolves with its output and exit code (SIGKILL and reject if it hangs). */
  function runExitChild(file: string, mode: 'leave-open' | 'close'): Promise<{ out: string; code: number | null }> {
    const child = spawn(process.execPath, ['--import', 'tsx', EXIT_CHILD, file, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child (${mode}) kept running`));
      }, 15_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ out, code });
      });
    });
  }

  it('does not keep the process alive when a store is left open', async () => {
    expect(await runExitChild(tempFile(), 'leave-open')).toEqual({ out: 'appended 0\n', code: 0 });
  }, 20_000);

  it('keeps the process alive until close completes (no unsettled await at exit)', async () => {
    expect(await runExitChild(tempFile(), 'close')).toEqual({ out: 'appended 0\nclosed\n', code: 0 });
  }, 20_000);
});

describe('SQLite store schema', () => {
  it('moves excerpts kept under their HMAC to their entry\'s leaf index, once', async () => {
    const file = tempFile();
    await openSqliteStore(file).close();
    const legacy = new Database(file);
    try {
      legacy.exec('CREATE TABLE excerpts (hmac TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, text TEXT NOT NULL)');
      const insertEntry = legacy.prepare('INSERT INTO entries (idx, id, type, leaf) VALUES (?, ?, ?, ?)');
      for (const e of HMAC_KEYED_LOG.entries) insertEntry.run(e.idx, e.id, e.type, e.leaf);
      const insertExcerpt = legacy.prepare('INSERT INTO excerpts (hmac, created_ms, text) VALUES (?, ?, ?)');
      for (const x of HMAC_KEYED_LOG.excerpts) insertExcerpt.run(x.hmac, x.createdMs, x.text);
    } finally {
      legacy.close();
    }
    const store = openStore(file);
    expect(await store.getExcerpt(0)).toBe('excerpt of entry 0');
    expect(await store.getExcerpt(1)).toBeUndefined();
    expect(await store.getExcerpt(2)).toBe('excerpt of entry 2');
    expect(await store.deleteExcerptsBefore(2)).toBe(1);
    const reopened = openStore(file);
    expect(await reopened.getExcerpt(2)).toBe('excerpt of entry 2');
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'excerpts'").all()).toEqual([]);
      expect(check.prepare('SELECT count(*) AS n FROM entry_excerpts').get()).toEqual({ n: 1 });
    } finally {
      check.close();
    }
  });
});
