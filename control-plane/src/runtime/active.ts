import type { CompiledPolicy } from '../policy/index.ts';
import type { SnapshotRef } from '../processor/index.ts';

/** A verified snapshot's identity and content: what the control plane enforces right now. */
export interface ActiveSnapshot {
  readonly ref: SnapshotRef;
  readonly compiled: CompiledPolicy;
}
