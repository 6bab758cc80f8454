import type { CompiledPolicy } from '../policy/index.ts';
import type { SnapshotRef } from '../processor/index.ts';

/** A verified snapshot's identity and content: what the control plane enforces right now. */
export interface ActiveSnapshot {
  readonly ref: SnapshotRef;
  readonly compiled: CompiledPolicy;
}

/** The version Envoy ACKs and every record names: `<seq>-<first 12 hex of sha256>`. */
export function snapshotVersion(seq: number, sha256: string): string {
  return `${seq}-${sha256.slice(0, 12)}`;
}
