import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AuditUnavailableError,
  directorySink,
  excerptCommitment,
  forwardToSink,
  httpSink,
  openAuditLog,
  openSqliteStore,
  proveEntry,
  readExportedCheckpoints,
  startSinkForwarder,
  verifyStore,
  verifyTlogProof,
  type AuditLog,
  type AuditStore,
} from '../../../control-plane/src/audit/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { GatewayError, toOpenAIError } from '../../../control-plane/src/errors/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { generateKeyStrings, openNote, parseSignerKey, parseVerifierKey } from '../../../control-plane/src/signing/index.ts';
import { EXCERPT_CANARY, requestReceived } from '../../fixtures/audit/events.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const ORIGIN = 'embguard.test/audit';
const logKey = parseSignerKey(generateKeyStrings(ORIGIN).skey);
const witnessKey = parseSignerKey(generateKeyStrings('witness.test').skey);
const EXCERPT_KEY = Buffer.alloc(32, 7);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(extra: Partial<Parameters<typeof openAuditLog>[0]> = {}): { log: AuditLog; store: AuditStore; clock: FakeClock; dir: string } {
  const tmp = makeTempDir();
  const store = openSqliteStore(path.join(tmp.dir, 'audit.db'));
  const clock = new FakeClock();
  const log = openAuditLog({
    store,
    signer: logKey,
    excerptKey: EXCERPT_KEY,
    clock,
    heartbeatMs: 60_000,
    checkpointIntervalMs: 0,
    ...extra,
  });
  cleanups.push(tmp.cleanup, () => log.close());
  return { log, store, clock, dir: tmp.dir };
}

const verifiers = [parseVerifierKey(logKey.vkey)];

describe('append', () => {
  it('commits concurrent appends in contiguous order and reports each index', async () => {
    const { log, store } = setup();
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => log.append(requestReceived(i))));
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(await store.size()).toBe(600);
    const [first] = await store.readEntries(0, 1);
    expect(first?.id).toBe(results[0]?.id);
    // The leaf is the canonical JSON: sorted keys, no whitespace, server time from the clock.
    expect(first?.leaf.startsWith('{"actor":{')).toBe(true);
    expect(JSON.parse(first?.leaf ?? '{}')).toMatchObject({ v: 1, type: 'request.received', time: '2026-01-01T00:00:00.000Z' });
  });

  it('lets a deferred append wait for the next append and share its commit', async () => {
    const { log, store } = setup({ deferredCommitMs: 60_000 });
    const batches: number[] = [];
    const appendBatch = store.appendBatch.bind(store);
    store.appendBatch = async (entries) => {
      batches.push(entries.length);
      return appendBatch(entries);
    };
    let deferredDone = false;
    const deferred = log.append(requestReceived(0), { defer: true }).then((r) => {
      deferredDone = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(deferredDone).toBe(false);
    expect(batches).toEqual([]);
    const [first, second] = await Promise.all([deferred, log.append(requestReceived(1))]);
    expect([first.index, second.index]).toEqual([0, 1]);
    expect(batches).toEqual([2]);
  });

  it('commits a deferred append on its own after the wait, and at close', async () => {
    const { log, store } = setup({ deferredCommitMs: 1 });
    expect((await log.append(requestReceived(0), { defer: true })).index).toBe(0);
    const waiting = setup({ deferredCommitMs: 60_000 });
    const pending = waiting.log.append(requestReceived(1), { defer: true });
    await waiting.log.close();
    expect((await pending).index).toBe(0);
    expect(await store.size()).toBe(1);
  });

  it('gives events time-ordered UUIDv7 ids from the clock', async () => {
    const { log, clock } = setup();
    const first = await log.append(requestReceived(0));
    clock.advance(1);
    const second = await log.append(requestReceived(1));
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.id.slice(0, 13)).toBe(`${Date.UTC(2026, 0, 1).toString(16).padStart(12, '0').slice(0, 8)}-${Date.UTC(2026, 0, 1).toString(16).padStart(12, '0').slice(8)}`);
    expect(second.id > first.id).toBe(true);
  });

  it('keeps the excerpt out of the leaf, committed by a keyed hash', async () => {
    const { log, store } = setup();
    const { id } = await log.append(requestReceived(1, true));
    const entry = await store.findEntry(id);
    expect(entry?.leaf).not.toContain('canary-excerpt');
    const hmac = (JSON.parse(entry?.leaf ?? '{}') as { request: { excerptHmac: string } }).request.excerptHmac;
    expect(hmac).toBe(excerptCommitment(EXCERPT_KEY, id, EXCERPT_CANARY));
    expect(await store.getExcerpt(entry?.index ?? -1)).toBe(EXCERPT_CANARY);
  });

  it('rejects with audit_unavailable (503) when the store cannot commit', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'audit.db');
    const store = openSqliteStore(file);
    const log = openAuditLog({ store, signer: logKey, excerptKey: Buffer.alloc(32), checkpointIntervalMs: 0 });
    await log.append(requestReceived(0));
    // Make the store unwritable underneath the open connection.
    const db = (await import('better-sqlite3')).default(file);
    db.exec('PRAGMA query_only = 0; CREATE TRIGGER refuse BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, \'disk full\'); END;');
    db.close();
    const failure = await log.append(requestReceived(1)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AuditUnavailableError);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(toOpenAIError(failure).status).toBe(503);
    expect(toOpenAIError(failure).body.error.code).toBe('audit_unavailable');
    expect(await store.size()).toBe(1);
    await log.close();
  });
});

describe('checkpoints', () => {
  it('signs a checkpoint when the log grew, and heartbeats when idle', async () => {
    const { log, store, clock } = setup();
    await log.append(requestReceived(0));
    const first = await log.tick();
    expect(first?.size).toBe(1);
    expect(await log.tick()).toBeUndefined();
    clock.advance(59_999);
    expect(await log.tick()).toBeUndefined();
    clock.advance(1);
    const heartbeat = await log.tick();
    expect(heartbeat?.size).toBe(1);
    expect(openNote(heartbeat?.note ?? '', verifiers).text).toContain('time 2026-01-01T00:01:00.000Z');
    // The heartbeat is also recorded in the tree.
    const [, hbEvent] = await store.readEntries(0, 2);
    expect(hbEvent?.type).toBe('log.checkpoint');
    const report = await verifyStore(store, { verifiers, origin: ORIGIN, heartbeatMs: 60_000 });
    expect(report.ok).toBe(true);
    expect(report.gaps).toEqual([]);
  });

  it('signs checkpoints that verify when two writers interleave entries in one store', async () => {
    // Each log extends its tree as its own batches commit; another writer's entries in between
    // must send it back to the store for the gap, never into a tree that skips or repeats leaves.
    const first = setup();
    const second = openAuditLog({ store: openSqliteStore(path.join(first.dir, 'audit.db')), signer: logKey, excerptKey: EXCERPT_KEY, clock: first.clock, checkpointIntervalMs: 0 });
    cleanups.push(() => second.close());
    for (let round = 0; round < 3; round += 1) {
      await Promise.all([0, 1, 2].map((i) => first.log.append(requestReceived(round * 10 + i))));
      await second.append(requestReceived(round * 10 + 5));
      await first.log.append(requestReceived(round * 10 + 6));
      expect((await first.log.tick())?.size).toBe(6 * round + 5);
      await second.append(requestReceived(round * 10 + 7));
      expect((await second.tick())?.size).toBe(6 * round + 6);
    }
    const report = await verifyStore(first.store, { verifiers, origin: ORIGIN });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('signs the size its tree has when its own commits land while the store reports a smaller size', async () => {
    // With PostgreSQL the size query can answer after a commit that started later: the tree has
    // then absorbed more entries than the reported size. Found by the two-process PostgreSQL test.
    const { log, store } = setup();
    await log.append(requestReceived(0));
    const reportedSize = store.size.bind(store);
    let racing = true;
    store.size = async () => {
      const size = await reportedSize();
      if (racing) {
        racing = false;
        await log.append(requestReceived(1));
      }
      return size;
    };
    expect((await log.tick())?.size).toBe(2);
    const report = await verifyStore(store, { verifiers, origin: ORIGIN });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses to sign over a store whose entries no longer match its last checkpoint', async () => {
    const { log, store, dir } = setup();
    await Promise.all([0, 1, 2].map((i) => log.append(requestReceived(i))));
    await log.tick();
    const db = new Database(path.join(dir, 'audit.db'));
    db.exec("DROP TRIGGER entries_no_update; UPDATE entries SET leaf = replace(leaf, 'user-1', 'user-9') WHERE idx = 1");
    db.close();
    // A fresh log on the altered store rebuilds the tree from the stored entries.
    const reopened = openAuditLog({ store, signer: logKey, excerptKey: Buffer.alloc(32), checkpointIntervalMs: 0 });
    await reopened.append(requestReceived(3));
    await expect(reopened.tick()).rejects.toThrow(/no longer match the checkpoint signed at size 3/);
    await reopened.append(requestReceived(4));
    await expect(reopened.tick()).rejects.toThrow(/no longer match/);
    expect(await store.listCheckpoints()).toHaveLength(1);
  });

  it('reports a gap when heartbeats stopped', async () => {
    const { log, store, clock } = setup();
    await log.tick();
    clock.advance(5 * 60_000);
    await log.tick();
    const report = await verifyStore(store, { verifiers, origin: ORIGIN, heartbeatMs: 60_000 });
    expect(report.gaps).toEqual([{ from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:05:00.000Z', seconds: 300 }]);
  });

  it('co-signs with a witness key and exports write-once checkpoint files', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.cleanup);
    const exportDir = path.join(tmp.dir, 'worm');
    const { log } = setup({ witness: witnessKey, exportDir });
    await log.append(requestReceived(0));
    await log.tick();
    const [exported] = readExportedCheckpoints(exportDir);
    expect(exported).toBeDefined();
    const opened = openNote(exported?.note ?? '', [...verifiers, parseVerifierKey(witnessKey.vkey)]);
    expect(opened.verified.map((s) => s.name)).toEqual([ORIGIN, 'witness.test']);
    expect(fs.statSync(path.join(exportDir, exported?.file ?? '')).mode & 0o222).toBe(0);
  });

  it('gives a tlog-proof receipt that verifies offline and fails for another entry', async () => {
    const { log, store } = setup();
    const appended = await Promise.all(Array.from({ length: 11 }, (_, i) => log.append(requestReceived(i))));
    await log.tick();
    const target = appended[6]?.id ?? '';
    const { entry, proof } = await proveEntry(store, target);
    expect(proof.startsWith('c2sp.org/tlog-proof@v1\nindex 6\n')).toBe(true);
    expect(verifyTlogProof(proof, entry.leaf, verifiers, ORIGIN)).toBe(true);
    const other = (await store.readEntries(5, 6))[0]?.leaf ?? '';
    expect(verifyTlogProof(proof, other, verifiers, ORIGIN)).toBe(false);
    expect(verifyTlogProof(proof, entry.leaf, [parseVerifierKey(witnessKey.vkey)], ORIGIN)).toBe(false);
  });
});

describe('retention', () => {
  it('deletes expired excerpts, records the deletion, and the tree still verifies', async () => {
    const { log, store, clock } = setup({ excerptRetentionMs: 24 * 3600_000 });
    const { id } = await log.append(requestReceived(0, true));
    await log.tick();
    const index = (await store.findEntry(id))?.index ?? -1;
    expect(await log.applyRetention()).toBe(0);
    expect(await store.getExcerpt(index)).toBe(EXCERPT_CANARY);
    clock.advance(24 * 3600_000 + 1);
    expect(await log.applyRetention()).toBe(1);
    expect(await store.getExcerpt(index)).toBeUndefined();
    const last = (await store.readEntries((await store.size()) - 1, await store.size()))[0];
    expect(JSON.parse(last?.leaf ?? '{}')).toMatchObject({ type: 'retention.deleted', retention: { excerptsDeleted: 1 } });
    await log.tick();
    expect((await verifyStore(store, { verifiers, origin: ORIGIN })).ok).toBe(true);
  });
});

describe('sinks', () => {
  it('forwards each entry at least once to a directory, resuming from the persisted cursor', async () => {
    const { log, store, dir } = setup();
    await Promise.all([0, 1, 2].map((i) => log.append(requestReceived(i))));
    const sink = directorySink(path.join(dir, 'sink'));
    expect(await forwardToSink(store, sink, 2)).toBe(3);
    await log.append(requestReceived(3));
    expect(await forwardToSink(store, sink)).toBe(1);
    const lines = fs.readFileSync(path.join(dir, 'sink', 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { index: number }).index)).toEqual([0, 1, 2, 3]);
    expect(lines[0]).toBe(`{"index":0,"entry":${(await store.readEntries(0, 1))[0]?.leaf}}`);
  });

  it('a forwarder delivers on its interval and keeps going after a failed round', async () => {
    const { log, store } = setup();
    await log.append(requestReceived(0));
    const delivered: string[] = [];
    let failNext = true;
    const sink = {
      name: 'memory',
      deliver: async (lines: readonly string[]) => {
        if (failNext) {
          failNext = false;
          throw new Error('receiver down');
        }
        delivered.push(...lines);
      },
    };
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const forwarder = startSinkForwarder(store, sink, { intervalMs: 1000, logger: silentLogger() });
      await vi.advanceTimersByTimeAsync(1000);
      await vi.advanceTimersByTimeAsync(1000);
      await forwarder.stop();
    } finally {
      vi.useRealTimers();
    }
    expect(delivered).toHaveLength(1);
    expect(await store.getCursor('memory')).toBe(1);
  });

  it('does not advance the HTTP sink cursor when delivery fails', async () => {
    const { log, store } = setup();
    await log.append(requestReceived(0));
    const bodies: string[] = [];
    let fail = true;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.statusCode = fail ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const sink = httpSink(`http://127.0.0.1:${port}/ingest`);
    await expect(forwardToSink(store, sink)).rejects.toThrow(/500/);
    expect(await store.getCursor(sink.name)).toBe(0);
    fail = false;
    expect(await forwardToSink(store, sink)).toBe(1);
    expect(await store.getCursor(sink.name)).toBe(1);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
  });
});
