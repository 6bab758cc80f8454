import type { AppendOptions, AuditEventInput } from '../audit/index.ts';

/** Which signed policy snapshot was in force for a decision: `<seq>-<sha256[0:12]>` is its version. */
export interface SnapshotRef {
  readonly seq: number;
  readonly sha256: string;
  readonly version: string;
}

/**
 * Where the processor records exchanges: the tamper-evident audit log. `append` resolves only once
 * the event is durably committed, and a request goes upstream only after its `request.received`
 * event resolved.
 */
export interface ExchangeRecorder {
  append(event: AuditEventInput, options?: AppendOptions): Promise<unknown>;
}
