import type { Clock } from '../clock/index.ts';
import { isoTime } from '../clock/index.ts';
import type { ApprovalEvidence } from '../github/index.ts';
import { signNote, type NoteSigner } from '../signing/index.ts';
import { canonicalJson, canonicalSha256 } from './canonical.ts';
import { signerInfo } from './keys.ts';
import type { DirectorySnapshotStore } from './store.ts';
import {
  SNAPSHOT_API_VERSION,
  SnapshotBuildError,
  snapshotFileName,
  snapshotVersion,
  type SnapshotContent,
  type SnapshotManifest,
} from './types.ts';

export interface BuildSnapshotOptions {
  store: DirectorySnapshotStore;
  content: SnapshotContent;
  /** Full Git commit SHA the policy files were read from. */
  revision: string;
  signers: readonly NoteSigner[];
  /** Review evidence; `null` only when no GitHub is involved (development). */
  approvals: ApprovalEvidence | null;
  /** Development flag: build even when the approval rules are not met, marking the snapshot unapproved. */
  allowUnapproved: boolean;
  builder: string;
  clock: Clock;
  /** An explicit seq; must be above the store's newest. Default: newest + 1. */
  seq?: number;
}

export interface BuiltSnapshot {
  manifest: SnapshotManifest;
  /** Path of the written file. */
  file: string;
  version: string;
}

const GIT_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Builds, signs and stores the next snapshot: canonical JSON (RFC 8785) of the content, its
 * SHA-256, a seq above the store's newest, the previous snapshot's hash as parent, and the approval
 * evidence. Throws `SnapshotBuildError` when seq would not increase or approvals are not met.
 */
export async function buildSnapshot(options: BuildSnapshotOptions): Promise<BuiltSnapshot> {
  if (!GIT_SHA.test(options.revision)) throw new SnapshotBuildError(`revision must be a full Git commit SHA, got ${JSON.stringify(options.revision)}`);
  if (options.signers.length === 0) throw new SnapshotBuildError('a snapshot needs a signing key');
  const approved = options.approvals?.satisfied === true;
  if (!approved && !options.allowUnapproved) {
    const why = options.approvals ? options.approvals.unmet.join('; ') : 'no approval evidence';
    throw new SnapshotBuildError(`change approval rules not met: ${why}`);
  }
  const latest = await options.store.latestManifest();
  const previousSeq = latest?.manifest.seq ?? 0;
  const seq = options.seq ?? previousSeq + 1;
  if (!Number.isSafeInteger(seq) || seq <= previousSeq) {
    throw new SnapshotBuildError(`seq ${seq} does not go forward: the store's newest snapshot is seq ${previousSeq}`);
  }
  const sha256 = canonicalSha256(options.content);
  const manifest: SnapshotManifest = {
    apiVersion: SNAPSHOT_API_VERSION,
    seq,
    sha256,
    revision: options.revision,
    parent: latest?.manifest.sha256 ?? null,
    builtAt: isoTime(options.clock),
    builder: options.builder,
    approved,
    approvals: options.approvals,
    signers: options.signers.map(signerInfo),
    content: options.content,
  };
  const note = signNote(`${canonicalJson(manifest)}\n`, options.signers);
  const file = await options.store.write(snapshotFileName(seq, sha256), Buffer.from(note, 'utf8'));
  return { manifest, file, version: snapshotVersion(seq, sha256) };
}
