import crypto from 'node:crypto';
import type { Clock } from '../clock/index.ts';
import { isoTime, systemClock } from '../clock/index.ts';
import type { Logger } from '../log/index.ts';
import { silentLogger } from '../log/index.ts';
import type { NoteSigner } from '../signing/index.ts';
import { parseNote } from '../signing/index.ts';
import { canonicalJson } from './canonical.ts';
import { exportCheckpoint, parseCheckpoint, signCheckpoint, signerKeyId } from './checkpoint.ts';
import type { AuditEvent, AuditEventInput } from './events.ts';
import { AUDIT_EVENT_VERSION } from './events.ts';
import { uuidV7 } from './ids.ts';
import { forEachEntry } from './leaves.ts';
import { MerkleAccumulator, leafHash } from './merkle.ts';
import type { AuditStore, PendingEntry, StoredCheckpoint } from './store.ts';
import { AuditUnavailableError } from './store.ts';

/** What `openAuditLog` needs; everything but the store and keys has a default. */
export interface AuditLogOptions {
  store: AuditStore;
  /** The log's key; its name is the checkpoint origin. */
  signer: NoteSigner;
  /** Optional witness key that co-signs every checkpoint. */
  witness?: NoteSigner;
  /** Key for the HMAC commitments to masked excerpts (32 random bytes, kept apart from the store). */
  excerptKey: Buffer;
  clock?: Clock;
  logger?: Logger;
  /** Event id generator; default UUIDv7 from the clock. */
  newId?: () => string;
  /** Sign a checkpoint at least this often even when idle. Default 60 s. */
  heartbeatMs?: number;
  /** Run `tick()` on a timer this often; 0 disables the timer (tests call `tick()`). Default 10 s. */
  checkpointIntervalMs?: number;
  /** Write every signed checkpoint to this directory as a write-once file. */
  exportDir?: string;
  /** Delete excerpts older than this in `applyRetention`. Default 30 days. */
  excerptRetentionMs?: number;
  /** Most entries committed in one transaction. Default 256. */
  maxBatch?: number;
  /** How long a `defer` append may wait for another to share its commit. Default 5 ms. */
  deferredCommitMs?: number;
}

/** How an event is appended. */
export interface AppendOptions {
  /**
   * Nothing waits on this record (e.g. a completion recorded after the response went out): it may
   * wait up to `deferredCommitMs` to ride in the commit of the next append instead of paying for a
   * commit (an fsync and a thread handoff) of its own. Still resolves only once durable.
   */
  defer?: boolean;
}

/** Where an appended event landed. */
export interface AppendResult {
  index: number;
  id: string;
}

/** The tamper-evident audit log as the processor and control plane use it. */
export interface AuditLog {
  /**
   * Records an event. Resolves only after the entry is durably committed, with its leaf index;
   * rejects with `AuditUnavailableError` (API error `audit_unavailable`, 503) if the store fails.
   */
  append(event: AuditEventInput, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Folds new entries into the tree and signs a checkpoint if the log grew or the heartbeat is
   * due. Runs on a timer unless `checkpointIntervalMs` is 0. Returns the checkpoint signed, if any.
   */
  tick(): Promise<StoredCheckpoint | undefined>;
  /** Deletes masked excerpts past retention and records a `retention.deleted` event; returns how many. */
  applyRetention(): Promise<number>;
  /** How long masked excerpts are kept from now on (the RetentionPolicy in force). */
  setExcerptRetention(ms: number): void;
  /** The log's verifier key (`name+hash+base64`), for `audit verify` and auditors. */
  readonly verifierKey: string;
  readonly origin: string;
  readonly store: AuditStore;
  /** Commits queued appends, signs a final checkpoint, stops the timer and closes the store. */
  close(): Promise<void>;
}

/** The checkpoint timer also deletes expired excerpts, at most this often. */
const RETENTION_EVERY_MS = 3600_000;

interface Queued {
  entry: PendingEntry;
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
}

/** HMAC-SHA256 commitment to an excerpt, bound to its event id so equal excerpts differ. */
export function excerptCommitment(key: Buffer, eventId: string, excerpt: string): string {
  return crypto.createHmac('sha256', key).update(eventId).update('\n').update(excerpt).digest('hex');
}

// Copies here are `Object.assign`, not a leading object spread (`{ ...input, v }`, V8's clone
// fast path) or rest: on Node 20 (V8 11.3) that clone of the caller's fresh event made every
// young-generation GC of the thread copy and promote ~230 KB at 20k appends/s (0.6–0.8 ms pauses,
// then a major GC every ~1.3 s); `Object.assign` of the same object, ~3 KB (0.1 ms pauses).

/** Builds the recorded event and its canonical leaf from a recorder's input. */
function buildEntry(input: AuditEventInput, id: string, time: string, excerptKey: Buffer, nowMs: number): PendingEntry {
  const { excerpt } = input;
  // `excerpt: undefined` drops it: canonical JSON, like JSON, leaves out undefined members.
  const event = Object.assign({}, input, { excerpt: undefined, v: AUDIT_EVENT_VERSION, id, time }) as AuditEvent;
  let pendingExcerpt: PendingEntry['excerpt'];
  if (excerpt !== undefined && event.request) {
    const hmac = excerptCommitment(excerptKey, id, excerpt);
    event.request = Object.assign({}, event.request, { excerptHmac: hmac });
    pendingExcerpt = { text: excerpt, createdMs: nowMs };
  }
  const leaf = canonicalJson(event);
  return pendingExcerpt ? { id, type: event.type, leaf, excerpt: pendingExcerpt } : { id, type: event.type, leaf };
}

/**
 * Opens the audit log on a store: group-committing writer, tree extension and checkpoint signing
 * after commit (heartbeats included), optional witness co-signature and WORM export.
 */
export function openAuditLog(options: AuditLogOptions): AuditLog {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger()).child({ component: 'audit' });
  const newId = options.newId ?? (() => uuidV7(clock.now()));
  const heartbeatMs = options.heartbeatMs ?? 60_000;
  const maxBatch = options.maxBatch ?? 256;
  const deferredCommitMs = options.deferredCommitMs ?? 5;
  let retentionMs = options.excerptRetentionMs ?? 30 * 24 * 3600_000;
  const { store, signer } = options;
  const signers = options.witness ? [signer, options.witness] : [signer];

  const queue: Queued[] = [];
  // Leaf hashes of entries this process committed and the tree has not absorbed yet: the tree
  // extends from them without re-reading the store, unless other writers' entries are interleaved.
  const ownLeafHashes = new Map<number, Buffer>();
  const tree = new MerkleAccumulator();
  let last: { size: number; timeMs: number; rootHash: Buffer } | undefined;
  // Set while `extendTree` reads entries from the store: commits then leave their hashes to it.
  let extendingFromStore = false;
  let flushing: Promise<void> | undefined;
  let deferredFlush: NodeJS.Timeout | undefined;
  let closed = false;

  async function commitBatch(batch: Queued[]): Promise<void> {
    try {
      const start = await store.appendBatch(batch.map((q) => q.entry));
      batch.forEach((q, i) => q.resolve({ index: start + i, id: q.entry.id }));
      absorbCommitted(start, batch);
    } catch (err) {
      logger.error({ err: (err as Error).message, entries: batch.length }, 'audit append failed');
      const failure = new AuditUnavailableError(err);
      for (const q of batch) q.reject(failure);
    }
  }

  // Group commit: everything queued while the previous transaction ran goes into the next one.
  async function drain(): Promise<void> {
    while (queue.length > 0) await commitBatch(queue.splice(0, maxBatch));
    flushing = undefined;
  }

  function flushSoon(): Promise<void> {
    clearTimeout(deferredFlush);
    deferredFlush = undefined;
    flushing ??= new Promise<void>((r) => setImmediate(r)).then(drain);
    return flushing;
  }

  function append(input: AuditEventInput, appendOptions: AppendOptions = {}): Promise<AppendResult> {
    if (closed) return Promise.reject(new AuditUnavailableError(new Error('audit log is closed')));
    let entry: PendingEntry;
    try {
      entry = buildEntry(input, newId(), isoTime(clock), options.excerptKey, clock.now());
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      queue.push({ entry, resolve, reject });
      // A running drain takes a deferred entry into its next batch anyway.
      if (!appendOptions.defer) void flushSoon();
      else if (!flushing) deferredFlush ??= setTimeout(() => void flushSoon(), deferredCommitMs);
    });
  }

  let checkpointsLoaded = false;
  let ticking: Promise<StoredCheckpoint | undefined> = Promise.resolve(undefined);

  async function loadLastCheckpoint(): Promise<void> {
    if (checkpointsLoaded) return;
    const stored = await store.listCheckpoints();
    const newest = stored[stored.length - 1];
    if (newest) {
      const cp = parseCheckpoint(parseNote(newest.note).text);
      last = { size: cp.size, timeMs: newest.timeMs, rootHash: cp.rootHash };
    }
    checkpointsLoaded = true;
  }

  // Never sign a checkpoint inconsistent with an earlier one: the rebuilt tree must reproduce the
  // last signed root before anything new is signed.
  // Once that check failed, this log never signs again (until an operator investigates).
  let integrityFailure: Error | undefined;
  function pushLeaf(hash: Buffer): void {
    tree.push(hash);
    if (last && tree.size === last.size && !tree.root().equals(last.rootHash)) {
      integrityFailure = new Error(`stored entries no longer match the checkpoint signed at size ${last.size}`);
      throw integrityFailure;
    }
  }

  // Extending the tree as each batch commits spreads its hashing evenly; left to the checkpoint
  // timer, a second's worth of entries (~20k hashes at full load) stalled the event loop for
  // tens of milliseconds at every tick. Entries that do not directly follow the tree (another
  // writer's entries in between, or a tree not yet rebuilt after a restart) wait for `tick`.
  function absorbCommitted(start: number, batch: readonly Queued[]): void {
    const hashes = batch.map((q) => leafHash(Buffer.from(q.entry.leaf, 'utf8')));
    const contiguous =
      start === tree.size && !extendingFromStore && (!last || tree.size >= last.size) && !integrityFailure;
    if (contiguous) {
      for (const hash of hashes) tree.push(hash);
    } else {
      hashes.forEach((hash, i) => ownLeafHashes.set(start + i, hash));
    }
  }

  async function extendTree(size: number): Promise<void> {
    let allOwn = true;
    for (let i = tree.size; i < size && allOwn; i += 1) allOwn = ownLeafHashes.has(i);
    if (allOwn) {
      for (let i = tree.size; i < size; i += 1) pushLeaf(ownLeafHashes.get(i) as Buffer);
    } else {
      extendingFromStore = true;
      try {
        await forEachEntry(store, tree.size, size, (e) => pushLeaf(leafHash(Buffer.from(e.leaf, 'utf8'))));
      } finally {
        extendingFromStore = false;
      }
    }
    for (const index of ownLeafHashes.keys()) if (index < size) ownLeafHashes.delete(index);
  }

  /** Signs and stores a checkpoint; `undefined` when another writer already stored a larger one. */
  async function signAndStore(size: number, rootHash: Buffer, timeMs: number): Promise<StoredCheckpoint | undefined> {
    const note = signCheckpoint({ origin: signer.name, size, rootHash, timeMs }, signers);
    const seq = await store.addCheckpoint({ size, timeMs, note });
    if (seq === undefined) {
      checkpointsLoaded = false;
      await loadLastCheckpoint();
      return undefined;
    }
    if (options.exportDir) exportCheckpoint(options.exportDir, seq, note);
    last = { size, timeMs, rootHash };
    return { seq, size, timeMs, note };
  }

  async function doTick(final: boolean): Promise<StoredCheckpoint | undefined> {
    if (integrityFailure) throw integrityFailure;
    await loadLastCheckpoint();
    await extendTree(await store.size());
    // Size and root are taken together from the tree, not from the size the store reported: this
    // process's own commits, absorbed while that answer was on its way (PostgreSQL answers on a
    // pool), can take the tree past it, and the tree holds committed entries only. Signing the
    // reported size with the larger tree's root made a checkpoint no store could match.
    const size = tree.size;
    const rootHash = tree.root();
    const now = clock.now();
    const grew = !last || size > last.size;
    const heartbeatDue = !final && (!last || now - last.timeMs >= heartbeatMs);
    if (!grew && !heartbeatDue) return undefined;
    const checkpoint = await signAndStore(size, rootHash, now);
    if (!checkpoint) return undefined;
    logger.debug({ size, seq: checkpoint.seq, heartbeat: !grew }, 'checkpoint signed');
    if (!grew) {
      // A heartbeat also leaves a trace inside the tree, so liveness is provable from the entries.
      await append({ type: 'log.checkpoint', checkpoint: { size, rootHash: rootHash.toString('base64'), keyId: signerKeyId(signer) } });
    }
    return checkpoint;
  }

  function tick(final = false): Promise<StoredCheckpoint | undefined> {
    ticking = ticking.catch(() => undefined).then(() => doTick(final));
    return ticking;
  }

  const interval = options.checkpointIntervalMs ?? 10_000;
  let lastRetentionMs = clock.now();
  const onTimer = (): void => {
    tick().catch((err: Error) => logger.error({ err: err.message }, 'checkpoint failed'));
    if (clock.now() - lastRetentionMs >= RETENTION_EVERY_MS) {
      lastRetentionMs = clock.now();
      applyRetention().catch((err: Error) => logger.error({ err: err.message }, 'excerpt retention failed'));
    }
  };
  const timer = interval > 0 ? setInterval(onTimer, interval) : undefined;
  timer?.unref();

  async function applyRetention(): Promise<number> {
    const cutoff = clock.now() - retentionMs;
    const deleted = await store.deleteExcerptsBefore(cutoff);
    if (deleted > 0) {
      await append({ type: 'retention.deleted', retention: { excerptsDeleted: deleted, before: new Date(cutoff).toISOString() } });
    }
    return deleted;
  }

  async function close(): Promise<void> {
    if (timer) clearInterval(timer);
    closed = true;
    if (queue.length > 0) await flushSoon();
    await flushing;
    await tick(true).catch((err: Error) => logger.error({ err: err.message }, 'final checkpoint failed'));
    await store.close();
  }

  function setExcerptRetention(ms: number): void {
    retentionMs = ms;
  }

  return { append, tick: () => tick(), applyRetention, setExcerptRetention, verifierKey: signer.vkey, origin: signer.name, store, close };
}
