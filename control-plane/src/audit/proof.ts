import type { NoteVerifier } from '../signing/index.ts';
import { parseNote } from '../signing/index.ts';
import { openCheckpoint, parseCheckpoint } from './checkpoint.ts';
import { forEachEntry } from './leaves.ts';
import type { Hash } from './merkle.ts';
import { inclusionProof, leafHash, verifyInclusion } from './merkle.ts';
import type { AuditStore, StoredEntry } from './store.ts';

/**
 * C2SP tlog-proof receipts (https://c2sp.org/tlog-proof): a header line, `index N`, the inclusion
 * proof hashes in base64 one per line, a blank line, then the signed checkpoint the proof is against.
 */
const HEADER = 'c2sp.org/tlog-proof@v1';

/** No entry with that id, or no checkpoint covers it yet. */
export class ProofUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofUnavailableError';
  }
}

/** A receipt for one entry, plus the entry itself (the auditor hashes its leaf bytes). */
export interface EntryProof {
  entry: StoredEntry;
  /** The tlog-proof text. */
  proof: string;
}

/** Formats a tlog-proof. */
export function formatTlogProof(index: number, hashes: readonly Hash[], checkpointNote: string): string {
  return `${HEADER}\nindex ${index}\n${hashes.map((h) => `${h.toString('base64')}\n`).join('')}\n${checkpointNote}`;
}

/**
 * Builds the inclusion receipt of the entry with event id `eventId` against the newest stored
 * checkpoint that covers it.
 */
export async function proveEntry(store: AuditStore, eventId: string): Promise<EntryProof> {
  const entry = await store.findEntry(eventId);
  if (!entry) throw new ProofUnavailableError(`no audit entry with id ${eventId}`);
  const checkpoints = await store.listCheckpoints();
  const covering = checkpoints
    .map((c) => ({ note: c.note, size: parseCheckpoint(parseNote(c.note).text).size }))
    .filter((c) => c.size > entry.index)
    .sort((a, b) => b.size - a.size)[0];
  if (!covering) throw new ProofUnavailableError(`entry ${entry.index} is not covered by a signed checkpoint yet`);
  const hashes: Hash[] = [];
  await forEachEntry(store, 0, covering.size, (e) => hashes.push(leafHash(Buffer.from(e.leaf, 'utf8'))));
  return { entry, proof: formatTlogProof(entry.index, inclusionProof(hashes, entry.index, covering.size), covering.note) };
}

/**
 * Verifies a tlog-proof for the given leaf bytes offline: the checkpoint must be signed by a
 * trusted key for `origin`, and the inclusion proof must lead from the leaf to its root.
 */
export function verifyTlogProof(proof: string, leaf: string, verifiers: readonly NoteVerifier[], origin: string): boolean {
  const blank = proof.indexOf('\n\n');
  if (blank < 0) return false;
  const lines = proof.slice(0, blank).split('\n');
  if (lines[0] !== HEADER) return false;
  const indexLine = lines.find((l) => l.startsWith('index '));
  if (!indexLine || !/^index (0|[1-9][0-9]*)$/.test(indexLine)) return false;
  const index = Number(indexLine.slice(6));
  const hashes = lines.slice(lines.indexOf(indexLine) + 1).map((l) => Buffer.from(l, 'base64'));
  if (hashes.some((h) => h.length !== 32)) return false;
  try {
    const cp = openCheckpoint(proof.slice(blank + 2), verifiers, origin);
    return verifyInclusion(leafHash(Buffer.from(leaf, 'utf8')), index, cp.size, hashes, cp.rootHash);
  } catch {
    return false;
  }
}
