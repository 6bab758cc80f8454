/**
 * The audit event model: one JSON object per log entry, hashed as its RFC 8785 canonical bytes.
 * Stable format, documented in docs/audit-log.md; add fields, never rename or reuse them.
 * Nothing here may hold a raw input, PII or secret value: counts, types, rule ids and hashes only.
 */

/** Format version carried by every entry as `v`. */
export const AUDIT_EVENT_VERSION = 1;

export const AUDIT_EVENT_TYPES = [
  'request.received',
  'request.completed',
  'request.denied',
  'masking.applied',
  'approval.requested',
  'approval.granted',
  'approval.denied',
  'approval.expired',
  'access.requested',
  'access.approved',
  'access.denied',
  'access.granted',
  'access.activated',
  'access.expired',
  'access.revoked',
  'policy.activated',
  'xds.ack',
  'xds.nack',
  'log.checkpoint',
  'retention.deleted',
  'credential.rotated',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who acted: the verified identity (or the component, for system events). */
export interface AuditActor {
  subject: string;
  groups?: string[];
  issuer?: string;
  clientId?: string;
  sourceAddress?: string;
}

/** The API request, summarised. The masked excerpt never enters the leaf, only its keyed hash. */
export interface AuditRequest {
  id: string;
  method?: string;
  path?: string;
  model?: string;
  inputCount?: number;
  bytes?: number;
  tokens?: number;
  /**
   * HMAC-SHA256 (hex) of the masked input excerpt stored outside the tree; set by the log, never by
   * callers. The excerpt can be deleted after its retention period while this commitment stays.
   */
  excerptHmac?: string;
}

/** What the masking step did: entity types and counts, rule ids, actions — never values. */
export interface AuditMasking {
  entityCounts: Record<string, number>;
  ruleIds: string[];
  actions: ('mask' | 'tokenize' | 'redact' | 'block' | 'require_approval')[];
}

export interface AuditDecision {
  outcome: 'allow' | 'deny' | 'held';
  ruleIds?: string[];
  reason?: string;
  approvalId?: string;
  grantId?: string;
}

/** The signed policy snapshot in force. */
export interface AuditPolicyRef {
  seq: number;
  sha256: string;
}

export interface AuditEnvoy {
  nodeId: string;
  versionInfo?: string;
  nonce?: string;
  /** NACK error detail: resource names and messages, never request content. */
  errorDetail?: string;
}

export interface AuditUpstream {
  status: number;
  latencyMs: number;
  response?: { dimensions?: number; count?: number; usage?: { promptTokens?: number; totalTokens?: number } };
}

export interface AuditApproval {
  id: string;
  approver?: string;
  expiresAt?: string;
  reason?: string;
}

export interface AuditAccess {
  grantId: string;
  role?: string;
  requester?: string;
  approver?: string;
  startsAt?: string;
  expiresAt?: string;
  reason?: string;
}

export interface AuditCheckpointRef {
  size: number;
  rootHash: string;
  keyId: string;
}

export interface AuditRetention {
  excerptsDeleted: number;
  before: string;
}

export interface AuditCredential {
  name: string;
  keyId?: string;
  /** Where the value comes from (`env:NAME`, `file:PATH`): a reference, never the value. */
  ref?: string;
  /** Keyed hash of the value now in use (`hmac-sha256:<hex>`), and of the one it replaced. */
  fingerprint?: string;
  previousFingerprint?: string;
}

/** The sections an event may carry; which are required depends on the type (see `RequiredSections`). */
export interface AuditSections {
  actor?: AuditActor;
  request?: AuditRequest;
  masking?: AuditMasking;
  decision?: AuditDecision;
  policy?: AuditPolicyRef;
  envoy?: AuditEnvoy;
  upstream?: AuditUpstream;
  approval?: AuditApproval;
  access?: AuditAccess;
  checkpoint?: AuditCheckpointRef;
  retention?: AuditRetention;
  credential?: AuditCredential;
}

/** Sections each event type must have. */
export interface RequiredSections {
  'request.received': 'actor' | 'request' | 'policy';
  'request.completed': 'actor' | 'request' | 'upstream';
  'request.denied': 'actor' | 'request' | 'decision';
  'masking.applied': 'request' | 'masking';
  'approval.requested': 'actor' | 'approval';
  'approval.granted': 'actor' | 'approval';
  'approval.denied': 'actor' | 'approval';
  'approval.expired': 'approval';
  'access.requested': 'actor' | 'access';
  'access.approved': 'actor' | 'access';
  'access.denied': 'actor' | 'access';
  'access.granted': 'actor' | 'access';
  'access.activated': 'access';
  'access.expired': 'access';
  'access.revoked': 'actor' | 'access';
  'policy.activated': 'policy';
  'xds.ack': 'envoy' | 'policy';
  'xds.nack': 'envoy' | 'policy';
  'log.checkpoint': 'checkpoint';
  'retention.deleted': 'retention';
  'credential.rotated': 'credential';
}

type WithSections<T extends AuditEventType> = { type: T } & AuditSections &
  Required<Pick<AuditSections, RequiredSections[T]>>;

/**
 * What a recorder passes to `append`: the type, its sections, and optionally the masked input
 * excerpt (already masked by the caller) which is stored apart from the leaf.
 */
export type AuditEventInput = {
  [T in AuditEventType]: WithSections<T> & { excerpt?: string };
}[AuditEventType];

/** A recorded event: the JSON object whose canonical bytes are the Merkle leaf. */
export type AuditEvent = {
  [T in AuditEventType]: WithSections<T> & { v: typeof AUDIT_EVENT_VERSION; id: string; time: string };
}[AuditEventType];

/** Narrows a string to a known event type. */
export function isAuditEventType(value: string): value is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}
