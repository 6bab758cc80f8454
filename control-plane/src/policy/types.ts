/**
 * The policy documents users write in `policies/*.yaml`, as TypeScript types. The JSON Schemas in
 * `schemas.ts` are the authority; these types mirror them so a validated document can be used typed.
 */

/** The only policy apiVersion this build understands. */
export const POLICY_API_VERSION = 'embguard.io/v1';

export const POLICY_KINDS = [
  'Gateway',
  'IdentityProvider',
  'AccessPolicy',
  'MaskingPolicy',
  'ApprovalPolicy',
  'AccessGrant',
  'RetentionPolicy',
] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** `shadow` evaluates and records what would have happened without changing the outcome. */
export type PolicyMode = 'enforce' | 'shadow';

export interface Metadata {
  name: string;
  description?: string;
  labels?: Record<string, string>;
}

interface DocumentBase<K extends PolicyKind, S> {
  apiVersion: typeof POLICY_API_VERSION;
  kind: K;
  metadata: Metadata;
  spec: S;
}

export type UpstreamFlavour = 'openai' | 'azure-openai' | 'cohere' | 'ollama' | 'tei';

/** A reference to where a secret lives (`env:NAME` or `file:path`); the value never appears in policy. */
export interface CredentialRef {
  ref: string;
  /** Request header that carries the credential, e.g. `authorization` or `api-key`. */
  header: string;
  /** Header value template; `{value}` is replaced by the secret, e.g. `Bearer {value}`. */
  format: string;
}

export interface Limits {
  maxBodyBytes?: number;
  maxBatchInputs?: number;
}

/** TLS to an https upstream; defaults: SNI = the URL's host, system CA bundle, TLS 1.2 minimum. */
export interface UpstreamTlsSpec {
  /** Name sent as SNI and required in the certificate's SAN. */
  sni?: string;
  /** Absolute path of a PEM bundle of CAs trusted instead of the system bundle. */
  caFile?: string;
  minVersion?: 'TLSv1_2' | 'TLSv1_3';
}

export interface UpstreamSpec {
  name: string;
  url: string;
  flavour: UpstreamFlavour;
  models: string[];
  credential?: CredentialRef;
  tls?: UpstreamTlsSpec;
  /** Allows an `http://` URL to a host other than loopback (credentials and inputs in clear text). */
  allowInsecureHttp?: boolean;
  limits?: Limits;
  timeoutMs?: number;
}

export interface GatewaySpec {
  listener?: { address?: string; port?: number };
  upstreams: UpstreamSpec[];
  limits: Required<Limits>;
}

export interface IdentityProviderSpec {
  issuer: string;
  audiences: string[];
  jwks: { uri: string } | { inline: { keys: Record<string, unknown>[] } };
  claims?: { subject?: string; groups?: string; clientId?: string };
  /** Group names this provider issues; every group a policy names must be declared by some provider. */
  groups: string[];
  clockSkewSeconds?: number;
  /** Verified tokens Envoy keeps to skip their signature check; 0 verifies every one. */
  verifiedTokenCacheSize?: number;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface TimeWindow {
  days: Weekday[];
  /** `HH:MM`, inclusive. */
  start: string;
  /** `HH:MM`, exclusive; may be earlier than `start` for a window that crosses midnight. */
  end: string;
  /** IANA zone name or `UTC`. */
  timezone: string;
}

export interface AccessRuleSpec {
  id: string;
  effect: 'allow' | 'deny';
  subjects?: string[];
  groups?: string[];
  clients?: string[];
  models: string[];
  endpoints?: string[];
  timeWindows?: TimeWindow[];
  mode?: PolicyMode;
  description?: string;
}

export interface AccessPolicySpec {
  mode: PolicyMode;
  rules: AccessRuleSpec[];
}

export type MaskingAction = 'allow' | 'mask' | 'tokenize' | 'redact' | 'require_approval' | 'block';

export interface MaskingScope {
  models?: string[];
  groups?: string[];
}

export interface MaskingRuleSpec {
  id: string;
  entities: string[];
  action: MaskingAction;
  scope?: MaskingScope;
  mode?: PolicyMode;
}

export interface CustomPatternSpec {
  name: string;
  regex: string;
  flags?: string;
  /** Words that must appear near a match for it to count (cuts false positives of bare numbers). */
  contextWords?: string[];
}

export interface DenyListSpec {
  name: string;
  terms: string[];
  caseSensitive?: boolean;
}

export interface MaskingPolicySpec {
  mode: PolicyMode;
  defaultAction?: MaskingAction;
  rules: MaskingRuleSpec[];
  customPatterns?: CustomPatternSpec[];
  denyLists?: DenyListSpec[];
  personNames?: { names?: string[]; honorifics?: boolean };
  /** What to do with `input` given as token ids: decode and scan them, or refuse the request. */
  tokenInputs?: 'decode' | 'refuse';
  tokenization?: { keyRef: string; keyVersion: number };
  /** Tighter scan limits than the defaults (the engine fails closed past them). */
  limits?: { maxInputChars?: number; timeBudgetMs?: number };
}

export interface RuntimeApprovalRuleSpec {
  id: string;
  when: { models?: string[]; entities?: string[]; batchSizeOver?: number; groups?: string[] };
  approverGroups: string[];
  quorum: number;
  /** How long a request may be held inline waiting for a decision, e.g. `20s`. */
  holdTime?: string;
  /** How long an approval ticket stays usable, e.g. `4h`. */
  ticketLifetime: string;
}

export interface ChangeApproverSpec {
  github: string;
  subject: string;
  groups: string[];
}

export interface ChangePathRuleSpec {
  /** Glob over repository paths (`*` within a segment, `**` across segments). */
  pattern: string;
  requiredGroups: string[];
  minApprovals?: number;
}

export interface ApprovalPolicySpec {
  mode: PolicyMode;
  runtime?: { rules: RuntimeApprovalRuleSpec[] };
  change?: { quorum: number; paths?: ChangePathRuleSpec[]; approvers: ChangeApproverSpec[] };
  /** Who decides just-in-time access requests, how many must agree, and the longest grant. */
  access?: { approverGroups: string[]; quorum: number; maxDuration: string };
}

export interface AccessGrantSpec {
  subject: string;
  models: string[];
  endpoints?: string[];
  notBefore: string;
  expiresAt?: string;
  duration?: string;
  reason: string;
  ticket?: string;
}

export interface RetentionPolicySpec {
  audit: { keepMetadataFor: string; storeMaskedContent: boolean; keepMaskedContentFor?: string };
  forwarding?: { name: string; type: 'http' | 'file'; url?: string; path?: string; credential?: CredentialRef }[];
}

export type GatewayDocument = DocumentBase<'Gateway', GatewaySpec>;
export type IdentityProviderDocument = DocumentBase<'IdentityProvider', IdentityProviderSpec>;
export type AccessPolicyDocument = DocumentBase<'AccessPolicy', AccessPolicySpec>;
export type MaskingPolicyDocument = DocumentBase<'MaskingPolicy', MaskingPolicySpec>;
export type ApprovalPolicyDocument = DocumentBase<'ApprovalPolicy', ApprovalPolicySpec>;
export type AccessGrantDocument = DocumentBase<'AccessGrant', AccessGrantSpec>;
export type RetentionPolicyDocument = DocumentBase<'RetentionPolicy', RetentionPolicySpec>;

export type PolicyDocument =
  | GatewayDocument
  | IdentityProviderDocument
  | AccessPolicyDocument
  | MaskingPolicyDocument
  | ApprovalPolicyDocument
  | AccessGrantDocument
  | RetentionPolicyDocument;

/** A problem found in a policy file, located as precisely as the source allows. */
export interface PolicyProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}
