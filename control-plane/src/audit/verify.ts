import type { NoteVerifier } from '../signing/index.ts';
import { NoteVerificationError } from '../signing/index.ts';
import type { Checkpoint } from './checkpoint.ts';
import { CheckpointFormatError, openCheckpoint } from './checkpoint.ts';
import { forEachEntry } from './leaves.ts';
import { MerkleAccumulator, leafHash } from './merkle.ts';
import type { AuditStore } from './store.ts';

/** What kind of problem `verifyStore` found. */
export type VerifyProblemKind =
  | 'missing_entry'
  | 'malformed_entry'
  | 'bad_checkpoint_signature'
  | 'root_mismatch'
  | 'truncated'
  | 'size_rollback';

/** One problem, naming the first entry it affects when there is one. */
export interface VerifyProblem {
  kind: VerifyProblemKind;
  message: string;
  /** The first entry index that cannot be trusted, if the problem concerns entries. */
  index?: number;
  /** The checkpoint (store `seq` or exported file) concerned, if any. */
  checkpoint?: string;
}

/** A stretch of time with no signed checkpoint although heartbeats were due. */
export interface HeartbeatGap {
  from: string;
  to: string;
  seconds: number;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  /** Entries before the first bad one (all of them when `ok`). */
  validEntries: number;
  checkpoints: number;
  validCheckpoints: number;
  /** Entries after the newest valid checkpoint (appended but not yet signed over). */
  uncovered: number;
  problems: VerifyProblem[];
  gaps: HeartbeatGap[];
}

export interface VerifyOptions {
  /** Trusted log (and witness) keys; a checkpoint must carry a valid signature by one of them. */
  verifiers: readonly NoteVerifier[];
  origin: string;
  /** Report gaps longer than this between consecutive checkpoints. */
  heartbeatMs?: number;
  /** Checkpoints exported to external storage, checked like the stored ones (catch a rewritten store). */
  externalCheckpoints?: readonly { name: string; note: string }[];
}

interface CheckedCheckpoint {
  name: string;
  cp: Checkpoint;
}

function openAll(
  notes: readonly { name: string; note: string }[],
  options: VerifyOptions,
  problems: VerifyProblem[],
): CheckedCheckpoint[] {
  const valid: CheckedCheckpoint[] = [];
  for (const { name, note } of notes) {
    try {
      valid.push({ name, cp: openCheckpoint(note, options.verifiers, options.origin) });
    } catch (err) {
      if (!(err instanceof NoteVerificationError || err instanceof CheckpointFormatError)) throw err;
      problems.push({
        kind: 'bad_checkpoint_signature',
        checkpoint: name,
        message: `checkpoint ${name}: ${err.message} (forged, or signed by an untrusted key)`,
      });
    }
  }
  return valid;
}

function checkRollback(stored: readonly CheckedCheckpoint[], problems: VerifyProblem[]): void {
  for (let i = 1; i < stored.length; i += 1) {
    const [prev, cur] = [stored[i - 1] as CheckedCheckpoint, stored[i] as CheckedCheckpoint];
    if (cur.cp.size < prev.cp.size) {
      problems.push({
        kind: 'size_rollback',
        checkpoint: cur.name,
        message: `checkpoint ${cur.name} has size ${cur.cp.size}, smaller than ${prev.name} (${prev.cp.size})`,
      });
    }
  }
}

function heartbeatGaps(checkpoints: readonly CheckedCheckpoint[], heartbeatMs: number | undefined): HeartbeatGap[] {
  if (heartbeatMs === undefined) return [];
  const times = checkpoints
    .map((c) => c.cp.timeMs)
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  const gaps: HeartbeatGap[] = [];
  // Half an interval of slack: heartbeats fire from a timer, not at exact instants.
  for (let i = 1; i < times.length; i += 1) {
    const [a, b] = [times[i - 1] as number, times[i] as number];
    if (b - a > heartbeatMs * 1.5) {
      gaps.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString(), seconds: (b - a) / 1000 });
    }
  }
  return gaps;
}

/**
 * Verifies a whole store offline: recomputes every leaf hash and the tree, checks every stored
 * (and exported) checkpoint's signature, that its root equals the recomputed root at its size
 * (which implies consistency between all checkpoints: they are all prefixes of one tree), that no
 * checkpoint covers more entries than exist, and reports heartbeat gaps.
 */
export async function verifyStore(store: AuditStore, options: VerifyOptions): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const storedNotes = (await store.listCheckpoints()).map((c) => ({ name: `#${c.seq}`, note: c.note }));
  const stored = openAll(storedNotes, options, problems);
  const external = openAll(options.externalCheckpoints ?? [], options, problems);
  checkRollback(stored, problems);
  const all = [...stored, ...external];

  const bySize = new Map<number, CheckedCheckpoint[]>();
  for (const c of all) bySize.set(c.cp.size, [...(bySize.get(c.cp.size) ?? []), c]);
  const size = await store.size();
  const tree = new MerkleAccumulator();
  let lastGoodSize = 0;
  let expected = 0;
  const checkRootsAt = (n: number): void => {
    for (const c of bySize.get(n) ?? []) {
      if (tree.root().equals(c.cp.rootHash)) {
        lastGoodSize = Math.max(lastGoodSize, n);
        continue;
      }
      problems.push({
        kind: 'root_mismatch',
        index: lastGoodSize,
        checkpoint: c.name,
        message: `entries ${lastGoodSize}..${n - 1} do not match checkpoint ${c.name} (size ${n}): altered, reordered or replaced`,
      });
    }
  };
  checkRootsAt(0);
  await forEachEntry(store, 0, size, (entry) => {
    if (entry.index !== expected) {
      problems.push({ kind: 'missing_entry', index: expected, message: `entry ${expected} is missing (deleted)` });
      expected = entry.index;
    }
    let parsed: { id?: unknown; type?: unknown } | undefined;
    try {
      parsed = JSON.parse(entry.leaf) as { id?: unknown; type?: unknown };
    } catch {
      parsed = undefined;
    }
    if (parsed?.id !== entry.id || parsed?.type !== entry.type) {
      problems.push({ kind: 'malformed_entry', index: entry.index, message: `entry ${entry.index} (id ${entry.id}) is not the event it claims to be` });
    }
    tree.push(leafHash(Buffer.from(entry.leaf, 'utf8')));
    expected += 1;
    checkRootsAt(tree.size);
  });
  if (expected !== size) {
    problems.push({ kind: 'missing_entry', index: expected, message: `the log claims ${size} entries but holds ${expected}` });
  }
  for (const c of all) {
    if (c.cp.size > tree.size) {
      problems.push({
        kind: 'truncated',
        index: tree.size,
        checkpoint: c.name,
        message: `log truncated: checkpoint ${c.name} covers ${c.cp.size} entries but only ${tree.size} remain`,
      });
    }
  }
  const firstBad = problems.reduce((min, p) => (p.index !== undefined ? Math.min(min, p.index) : min), tree.size);
  const newestValid = stored.reduce((max, c) => Math.max(max, c.cp.size), 0);
  return {
    ok: problems.length === 0,
    entries: tree.size,
    validEntries: problems.length === 0 ? tree.size : Math.min(firstBad, tree.size),
    checkpoints: storedNotes.length,
    validCheckpoints: stored.length,
    uncovered: Math.max(0, tree.size - newestValid),
    problems: problems.sort((a, b) => (a.index ?? Infinity) - (b.index ?? Infinity)),
    gaps: heartbeatGaps(stored, options.heartbeatMs),
  };
}
