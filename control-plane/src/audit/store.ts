import { GatewayError } from '../errors/index.ts';

/** One committed log entry as stored: its leaf index and the exact canonical JSON leaf bytes. */
export interface StoredEntry {
  index: number;
  id: string;
  type: string;
  /** RFC 8785 canonical JSON of the event; the Merkle leaf is SHA-256(0x00 ‖ these UTF-8 bytes). */
  leaf: string;
}

/** An entry waiting to be committed, with its optional erasable excerpt. */
export interface PendingEntry {
  id: string;
  type: string;
  leaf: string;
  /** The masked excerpt, stored apart from the leaf (which carries only its HMAC) so it can be erased. */
  excerpt?: { text: string; createdMs: number };
}

/** A signed checkpoint as stored. */
export interface StoredCheckpoint {
  /** Order in which checkpoints were signed. */
  seq: number;
  size: number;
  timeMs: number;
  /** The C2SP signed note (checkpoint body + signatures). */
  note: string;
}

/**
 * Durable storage of the log. `appendBatch` resolves only after the entries are committed
 * durably, with contiguous leaf indexes starting at the returned index.
 */
export interface AuditStore {
  readonly kind: 'sqlite' | 'postgres';
  appendBatch(entries: readonly PendingEntry[]): Promise<number>;
  size(): Promise<number>;
  /** Entries with `from <= index < to`, in index order. */
  readEntries(from: number, to: number): Promise<StoredEntry[]>;
  findEntry(id: string): Promise<StoredEntry | undefined>;
  /**
   * Stores a signed checkpoint and returns its `seq`, atomically refusing (`undefined`) one smaller
   * than a checkpoint already stored: with several writers, a slower one must not sign an older view
   * after a faster one signed a newer (a verifier would see the log shrink).
   */
  addCheckpoint(checkpoint: Omit<StoredCheckpoint, 'seq'>): Promise<number | undefined>;
  /** All checkpoints in signing order. */
  listCheckpoints(): Promise<StoredCheckpoint[]>;
  /** The masked excerpt of the entry at leaf `index`, until retention deletes it. */
  getExcerpt(index: number): Promise<string | undefined>;
  /** Deletes excerpts created before `cutoffMs`; returns how many. */
  deleteExcerptsBefore(cutoffMs: number): Promise<number>;
  /** Sink cursors: the next index a named sink has not yet acknowledged. */
  getCursor(name: string): Promise<number>;
  setCursor(name: string, next: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store could not durably commit (or read) the log. Carries the `audit_unavailable` API error so
 * the processor refuses the request with 503 and forwards nothing.
 */
export class AuditUnavailableError extends GatewayError {
  constructor(cause: unknown) {
    super('audit_unavailable', { cause });
    this.name = 'AuditUnavailableError';
  }
}

/** An excerpt row, keyed by its entry's leaf index. */
export interface ExcerptRow {
  index: number;
  createdMs: number;
  text: string;
}

/**
 * Excerpt rows of a batch whose first entry gets leaf index `start`; they ride in the same
 * transaction as their entries. Keyed by leaf index, not by their (random) HMAC: each commit then
 * appends to the end of one index instead of dirtying a random page of it, which made commits and
 * WAL checkpoints write several times the pages.
 */
export function excerptRows(entries: readonly PendingEntry[], start: number): ExcerptRow[] {
  return entries.flatMap((e, i) => (e.excerpt ? [{ index: start + i, createdMs: e.excerpt.createdMs, text: e.excerpt.text }] : []));
}

/** An `entries` row as a driver returns it (PostgreSQL returns BIGINT as a string). */
export interface EntryRow {
  idx: number | string;
  id: string;
  type: string;
  leaf: string;
}

/** Converts a stored row to a `StoredEntry`. */
export function entryFromRow(row: EntryRow): StoredEntry {
  return { index: Number(row.idx), id: row.id, type: row.type, leaf: row.leaf };
}
