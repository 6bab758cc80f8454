import type { ApprovalEvidence } from '../github/index.ts';
import type { CompiledPolicy, PolicyDocument } from '../policy/index.ts';

/** Version of the snapshot format; the loader refuses any other. */
export const SNAPSHOT_API_VERSION = 'embguard.io/snapshot/v1';

/** What the snapshot's `sha256` covers: the policy documents as written and their compiled form. */
export interface SnapshotContent {
  documents: { file: string; document: PolicyDocument }[];
  compiled: CompiledPolicy;
}

/** A public key that signed the snapshot, recorded inside the signed text. */
export interface SnapshotSignerInfo {
  name: string;
  /** The signed-note key id, 8 hex digits. */
  keyId: string;
  /** `sha256:<hex>` of the raw Ed25519 public key. */
  fingerprint: string;
}

/**
 * One snapshot, as signed: its canonical JSON (RFC 8785) plus a newline is the text of a C2SP
 * signed note (gitops.md "Snapshot model").
 */
export interface SnapshotManifest {
  apiVersion: typeof SNAPSHOT_API_VERSION;
  /** Monotonic; a rollback is a revert with a higher seq. */
  seq: number;
  /** SHA-256 (hex) of the canonical JSON of `content`. */
  sha256: string;
  /** Full Git commit SHA the policy files were read from. */
  revision: string;
  /** `sha256` of the previous snapshot, `null` for the first. */
  parent: string | null;
  builtAt: string;
  builder: string;
  /** False only for snapshots built with `--dev-unapproved`; production loaders refuse them. */
  approved: boolean;
  approvals: ApprovalEvidence | null;
  signers: SnapshotSignerInfo[];
  content: SnapshotContent;
}

/** The `<seq>-<hash12>` version string Envoy ACKs and the processor records. */
export function snapshotVersion(seq: number, sha256: string): string {
  return `${seq}-${sha256.slice(0, 12)}`;
}

/** File name of a snapshot in a store: sortable by seq, and naming the hash it must carry. */
export function snapshotFileName(seq: number, sha256: string): string {
  return `snapshot-${String(seq).padStart(10, '0')}-${sha256.slice(0, 12)}.note`;
}

const FILE_NAME = /^snapshot-(\d{10})-([0-9a-f]{12})\.note$/;

/** Seq and hash prefix of a snapshot file name, or `undefined` for any other file. */
export function parseSnapshotFileName(name: string): { seq: number; hash12: string } | undefined {
  const match = FILE_NAME.exec(name);
  return match ? { seq: Number(match[1]), hash12: match[2]! } : undefined;
}

export type SnapshotRejection =
  | 'malformed'
  | 'unsigned'
  | 'untrusted_signer'
  | 'bad_signature'
  | 'unknown_api_version'
  | 'hash_mismatch'
  | 'name_mismatch'
  | 'unapproved'
  | 'replay'
  | 'unreadable'
  | 'not_applied';

/** A snapshot file the control plane will not enforce, and why; the running policy stays. */
export class SnapshotRejectedError extends Error {
  readonly file: string;
  readonly reason: SnapshotRejection;
  constructor(file: string, reason: SnapshotRejection, detail: string) {
    super(`${file}: snapshot refused (${reason}): ${detail}`);
    this.name = 'SnapshotRejectedError';
    this.file = file;
    this.reason = reason;
  }
}

/** A snapshot that could not be built (seq going backwards, store conflicts, unmet approvals). */
export class SnapshotBuildError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SnapshotBuildError';
  }
}
