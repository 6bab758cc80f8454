/**
 * The tamper-evident audit log: events as RFC 8785 canonical JSON leaves of an RFC 9162 Merkle
 * tree, durably committed before the request goes upstream, with C2SP signed checkpoints,
 * inclusion receipts and an offline verifier. Format: docs/audit-log.md.
 *
 * Processor use: `const log = await openConfiguredAuditLog(config, { clock, logger })`, then
 * `await log.append({ type: 'request.received', actor, request, policy, excerpt })` before
 * forwarding; an `AuditUnavailableError` (a `GatewayError` with code `audit_unavailable`) means
 * refuse with 503.
 */
export {
  AUDIT_EVENT_TYPES,
  AUDIT_EVENT_VERSION,
  isAuditEventType,
  type AuditAccess,
  type AuditActor,
  type AuditApproval,
  type AuditCheckpointRef,
  type AuditCredential,
  type AuditDecision,
  type AuditEnvoy,
  type AuditEvent,
  type AuditEventInput,
  type AuditEventType,
  type AuditMasking,
  type AuditPolicyRef,
  type AuditRequest,
  type AuditRetention,
  type AuditSections,
  type AuditUpstream,
  type RequiredSections,
} from './events.ts';
export { excerptCommitment, openAuditLog, type AppendOptions, type AppendResult, type AuditLog, type AuditLogOptions } from './log.ts';
export { AuditUnavailableError, type AuditStore, type PendingEntry, type StoredCheckpoint, type StoredEntry } from './store.ts';
export { uuidV7 } from './ids.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
export { openPostgresStore } from './postgres-store.ts';
export { auditPaths, configuredVerifiers, openAuditStore, openConfiguredAuditLog, verifyConfiguredStore } from './open.ts';
export { verifyStore, type HeartbeatGap, type VerifyOptions, type VerifyProblem, type VerifyProblemKind, type VerifyReport } from './verify.ts';
export { ProofUnavailableError, formatTlogProof, proveEntry, verifyTlogProof, type EntryProof } from './proof.ts';
export {
  CheckpointFormatError,
  exportCheckpoint,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  readExportedCheckpoints,
  signCheckpoint,
  type Checkpoint,
} from './checkpoint.ts';
export { directorySink, fileSink, forwardToSink, httpSink, sinkLine, startSinkForwarder, type AuditSink } from './sinks.ts';
export { canonicalJson } from './canonical.ts';
export {
  EMPTY_ROOT,
  MerkleAccumulator,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle.ts';
