import { DEFAULT_CLAIM_NAMES, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, type ClaimNames, type IdentityProviderSettings } from '../identity/index.ts';
import { DEFAULT_MASKING_RULES, maskingRulesFromPolicies, type MaskingRules } from '../masking/index.ts';
import { parseDuration } from './duration.ts';
import type {
  AccessGrantDocument,
  AccessPolicyDocument,
  ApprovalPolicyDocument,
  CredentialRef,
  GatewayDocument,
  IdentityProviderDocument,
  MaskingPolicyDocument,
  MaskingPolicySpec,
  PolicyDocument,
  PolicyMode,
  RetentionPolicyDocument,
  TimeWindow,
  UpstreamFlavour,
  UpstreamTlsSpec,
  Weekday,
} from './types.ts';

/** Version tag of the compiled shape; the loader refuses snapshots carrying another. */
export const COMPILED_POLICY_SCHEMA = 'embguard.io/compiled/v1';

/** An HTTP(S) endpoint split the way Envoy clusters need it. */
export interface CompiledEndpoint {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Path prefix of the URL without a trailing slash (`''` for the root). */
  readonly basePath: string;
}

export interface CompiledLimits {
  readonly maxBodyBytes: number;
  readonly maxBatchInputs: number;
}

export interface CompiledUpstream {
  readonly name: string;
  readonly flavour: UpstreamFlavour;
  readonly endpoint: CompiledEndpoint;
  readonly models: readonly string[];
  /** Where the credential lives; the value is resolved at runtime, never carried in a snapshot. */
  readonly credential: CredentialRef | null;
  /** TLS settings the policy gave for an https upstream (defaults applied at runtime). */
  readonly tls?: Readonly<UpstreamTlsSpec>;
  /** Present only when the policy allows plain http to a host other than loopback. */
  readonly allowInsecureHttp?: true;
  /** Gateway limits combined with the upstream's own: the lowest wins. */
  readonly limits: CompiledLimits;
  readonly timeoutMs: number;
}

export interface CompiledGateway {
  readonly listener: { readonly address: string; readonly port: number };
  readonly upstreams: readonly CompiledUpstream[];
  /** Model name → upstream name. */
  readonly routes: Readonly<Record<string, string>>;
  readonly limits: CompiledLimits;
}

/** The identity module's `IdentityProviderSettings`, with every default filled in and the declared groups. */
export interface CompiledIdentityProvider extends IdentityProviderSettings {
  readonly claims: ClaimNames;
  readonly clockSkewSeconds: number;
  readonly verifiedTokenCacheSize: number;
  readonly groups: readonly string[];
}

/** A time window in minutes of the day; `days` uses 0 = Sunday … 6 = Saturday like `Date#getDay`. */
export interface CompiledTimeWindow {
  readonly days: readonly number[];
  readonly startMinute: number;
  /** Exclusive; when not greater than `startMinute` the window crosses midnight. */
  readonly endMinute: number;
  readonly timezone: string;
}

export interface CompiledAccessRule {
  readonly id: string;
  /** `metadata.name` of the AccessPolicy the rule came from. */
  readonly policy: string;
  readonly effect: 'allow' | 'deny';
  /** `null` = this dimension is not a condition of the rule; `['*']` = any value. */
  readonly subjects: readonly string[] | null;
  readonly groups: readonly string[] | null;
  readonly clients: readonly string[] | null;
  readonly models: readonly string[];
  readonly endpoints: readonly string[];
  /** Empty = at any time. */
  readonly timeWindows: readonly CompiledTimeWindow[];
  readonly mode: PolicyMode;
}

/**
 * Masking in the masking engine's own runtime shape (`MaskingRules`), split by mode: the processor
 * runs `enforced`, and when `shadow` is set also runs it to record what the shadow rules would do.
 */
export interface CompiledMasking {
  readonly enforced: MaskingRules;
  /** Enforced plus shadow-mode rules; `null` when no rule is in shadow mode. */
  readonly shadow: MaskingRules | null;
  /** Where the tokenization key lives; the key itself is loaded at runtime. */
  readonly tokenization: { readonly keyRef: string; readonly keyVersion: number } | null;
}

export interface CompiledRuntimeApprovalRule {
  readonly id: string;
  readonly policy: string;
  readonly when: {
    readonly models: readonly string[] | null;
    readonly entities: readonly string[] | null;
    readonly batchSizeOver: number | null;
    readonly groups: readonly string[] | null;
  };
  readonly approverGroups: readonly string[];
  readonly quorum: number;
  /** 0 = do not hold; answer with a ticket at once. */
  readonly holdMs: number;
  readonly ticketLifetimeMs: number;
  readonly mode: PolicyMode;
}

/** Who approves just-in-time access requests: the access module's `JitApprovalSettings`. */
export interface CompiledJitApproval {
  readonly approverGroups: readonly string[];
  readonly quorum: number;
  readonly maxDurationMs: number;
}

/** Rules a policy change must meet; `embguard snapshot build` reads them from the base branch. */
export interface CompiledChangeApproval {
  readonly quorum: number;
  readonly paths: readonly { readonly pattern: string; readonly requiredGroups: readonly string[]; readonly minApprovals: number }[];
  readonly approvers: readonly { readonly github: string; readonly subject: string; readonly groups: readonly string[] }[];
}

export interface CompiledGrant {
  readonly name: string;
  readonly subject: string;
  readonly models: readonly string[];
  readonly endpoints: readonly string[];
  readonly notBefore: string;
  readonly expiresAt: string;
  readonly reason: string;
  readonly ticket: string | null;
}

export interface CompiledRetention {
  readonly keepMetadataForMs: number;
  readonly storeMaskedContent: boolean;
  readonly keepMaskedContentForMs: number | null;
  readonly forwarding: readonly { readonly name: string; readonly type: 'http' | 'file'; readonly target: string; readonly credential: CredentialRef | null }[];
}

/**
 * The runtime form of a validated policy set: everything the xDS resource builders and the
 * processor need, nothing they would have to parse again. Plain JSON (it is what a snapshot
 * carries), deterministic for a given input, and deeply frozen.
 */
export interface CompiledPolicy {
  readonly schema: typeof COMPILED_POLICY_SCHEMA;
  readonly gateway: CompiledGateway;
  readonly identityProviders: readonly CompiledIdentityProvider[];
  readonly access: { readonly rules: readonly CompiledAccessRule[] };
  readonly masking: CompiledMasking;
  readonly approval: {
    readonly runtime: readonly CompiledRuntimeApprovalRule[];
    /** Just-in-time access approval; `null` = the gateway's default (see `DEFAULT_JIT_SETTINGS`). */
    readonly access: CompiledJitApproval | null;
    readonly change: CompiledChangeApproval | null;
  };
  readonly grants: readonly CompiledGrant[];
  /** `null` when no RetentionPolicy is set; the audit module then applies its defaults. */
  readonly retention: CompiledRetention | null;
}

/** Listener defaults match ARCHITECTURE.md (loopback, port 10000). */
const DEFAULT_LISTENER = { address: '127.0.0.1', port: 10000 };
const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Splits an http(s) URL into what an Envoy cluster needs. */
export function compileEndpoint(url: string): CompiledEndpoint {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'https:';
  return {
    url,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : tls ? 443 : 80,
    tls,
    basePath: parsed.pathname.replace(/\/+$/, ''),
  };
}

/** True for hosts that never leave this machine: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function minLimit(a: number, b: number | undefined): number {
  return b === undefined ? a : Math.min(a, b);
}

function compileGateway(doc: GatewayDocument): CompiledGateway {
  const limits = { maxBodyBytes: doc.spec.limits.maxBodyBytes, maxBatchInputs: doc.spec.limits.maxBatchInputs };
  const upstreams = doc.spec.upstreams.map(
    (u): CompiledUpstream => ({
      name: u.name,
      flavour: u.flavour,
      endpoint: compileEndpoint(u.url),
      models: [...u.models].sort(),
      credential: u.credential ?? null,
      ...(u.tls ? { tls: { ...u.tls } } : {}),
      ...(u.allowInsecureHttp ? { allowInsecureHttp: true as const } : {}),
      limits: {
        maxBodyBytes: minLimit(limits.maxBodyBytes, u.limits?.maxBodyBytes),
        maxBatchInputs: minLimit(limits.maxBatchInputs, u.limits?.maxBatchInputs),
      },
      timeoutMs: u.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    }),
  );
  const routes: Record<string, string> = {};
  for (const [model, upstream] of upstreams.flatMap((u) => u.models.map((m) => [m, u.name] as const)).sort()) {
    routes[model] = upstream;
  }
  return { listener: { ...DEFAULT_LISTENER, ...doc.spec.listener }, upstreams, routes, limits };
}

function compileProvider(doc: IdentityProviderDocument): CompiledIdentityProvider {
  const { spec } = doc;
  return {
    name: doc.metadata.name,
    issuer: spec.issuer,
    audiences: spec.audiences,
    jwks: 'uri' in spec.jwks ? { uri: spec.jwks.uri } : { inline: JSON.stringify(spec.jwks.inline) },
    claims: { ...DEFAULT_CLAIM_NAMES, ...spec.claims },
    groups: [...spec.groups].sort(),
    clockSkewSeconds: spec.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    verifiedTokenCacheSize: spec.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  };
}

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

function compileWindow(window: TimeWindow): CompiledTimeWindow {
  return {
    days: window.days.map((d) => WEEKDAYS.indexOf(d)).sort(),
    startMinute: minuteOfDay(window.start),
    endMinute: minuteOfDay(window.end),
    timezone: window.timezone,
  };
}

function modeOf(policyMode: PolicyMode, ruleMode: PolicyMode | undefined): PolicyMode {
  return policyMode === 'shadow' ? 'shadow' : (ruleMode ?? 'enforce');
}

function compileAccess(docs: AccessPolicyDocument[]): CompiledAccessRule[] {
  return docs.flatMap((doc) =>
    doc.spec.rules.map((rule) => ({
      id: rule.id,
      policy: doc.metadata.name,
      effect: rule.effect,
      subjects: rule.subjects ?? null,
      groups: rule.groups ?? null,
      clients: rule.clients ?? null,
      models: rule.models,
      endpoints: rule.endpoints ?? ['/v1/embeddings'],
      timeWindows: (rule.timeWindows ?? []).map(compileWindow),
      mode: modeOf(doc.spec.mode, rule.mode),
    })),
  );
}

/** A MaskingPolicy spec with every rule forced to enforce, to build the "what shadow would do" rule set. */
function asEnforced(spec: MaskingPolicySpec): MaskingPolicySpec {
  return { ...spec, mode: 'enforce', rules: spec.rules.map((rule) => ({ ...rule, mode: 'enforce' })) };
}

function compileMasking(docs: MaskingPolicyDocument[], gateway: CompiledGateway): CompiledMasking {
  const specs = docs.map((d) => d.spec);
  const defaults = DEFAULT_MASKING_RULES.limits;
  // The lowest limit wins; a request body cannot carry more UTF-16 code units of input than bytes.
  const limits = {
    maxInputChars: Math.min(defaults.maxInputChars, gateway.limits.maxBodyBytes, ...specs.map((s) => s.limits?.maxInputChars ?? Infinity)),
    timeBudgetMs: Math.min(defaults.timeBudgetMs, ...specs.map((s) => s.limits?.timeBudgetMs ?? Infinity)),
  };
  const hasShadow = specs.some((s) => s.mode === 'shadow' || s.rules.some((r) => r.mode === 'shadow'));
  return {
    enforced: maskingRulesFromPolicies(specs, limits),
    shadow: hasShadow ? maskingRulesFromPolicies(specs.map(asEnforced), limits) : null,
    tokenization: specs.find((s) => s.tokenization)?.tokenization ?? null,
  };
}

function compileApproval(docs: ApprovalPolicyDocument[]): CompiledPolicy['approval'] {
  const runtime = docs.flatMap((doc) =>
    (doc.spec.runtime?.rules ?? []).map((rule) => ({
      id: rule.id,
      policy: doc.metadata.name,
      when: {
        models: rule.when.models ?? null,
        entities: rule.when.entities ?? null,
        batchSizeOver: rule.when.batchSizeOver ?? null,
        groups: rule.when.groups ?? null,
      },
      approverGroups: rule.approverGroups,
      quorum: rule.quorum,
      holdMs: rule.holdTime ? parseDuration(rule.holdTime)! : 0,
      ticketLifetimeMs: parseDuration(rule.ticketLifetime)!,
      mode: doc.spec.mode,
    })),
  );
  const change = docs.find((d) => d.spec.change)?.spec.change;
  const access = docs.find((d) => d.spec.access)?.spec.access;
  return {
    runtime,
    access: access ? { approverGroups: access.approverGroups, quorum: access.quorum, maxDurationMs: parseDuration(access.maxDuration)! } : null,
    change: change
      ? {
          quorum: change.quorum,
          paths: (change.paths ?? []).map((p) => ({ pattern: p.pattern, requiredGroups: p.requiredGroups, minApprovals: p.minApprovals ?? 1 })),
          approvers: change.approvers.map((a) => ({ github: a.github.toLowerCase(), subject: a.subject, groups: a.groups })),
        }
      : null,
  };
}

function compileGrant(doc: AccessGrantDocument): CompiledGrant {
  const { spec } = doc;
  const notBefore = Date.parse(spec.notBefore);
  const expiresAt = spec.expiresAt ? Date.parse(spec.expiresAt) : notBefore + parseDuration(spec.duration!)!;
  return {
    name: doc.metadata.name,
    subject: spec.subject,
    models: spec.models,
    endpoints: spec.endpoints ?? ['/v1/embeddings'],
    notBefore: new Date(notBefore).toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    reason: spec.reason,
    ticket: spec.ticket ?? null,
  };
}

function compileRetention(doc: RetentionPolicyDocument | undefined): CompiledRetention | null {
  if (!doc) return null;
  const { audit, forwarding } = doc.spec;
  return {
    keepMetadataForMs: parseDuration(audit.keepMetadataFor)!,
    storeMaskedContent: audit.storeMaskedContent,
    keepMaskedContentForMs: audit.keepMaskedContentFor ? parseDuration(audit.keepMaskedContentFor)! : null,
    forwarding: (forwarding ?? []).map((f) => ({ name: f.name, type: f.type, target: (f.url ?? f.path)!, credential: f.credential ?? null })),
  };
}

function byKind<K extends PolicyDocument['kind']>(docs: readonly PolicyDocument[], kind: K): Extract<PolicyDocument, { kind: K }>[] {
  return docs
    .filter((d): d is Extract<PolicyDocument, { kind: K }> => d.kind === kind)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Freezes a JSON value and everything inside it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Compiles documents that passed `validatePolicySet` into the runtime policy. Documents are ordered
 * by name within each kind so the result does not depend on file order.
 */
export function compilePolicy(documents: readonly PolicyDocument[]): CompiledPolicy {
  const gateway = byKind(documents, 'Gateway')[0];
  if (!gateway) throw new Error('compilePolicy needs a validated policy set (no Gateway document)');
  const compiledGateway = compileGateway(gateway);
  return deepFreeze({
    schema: COMPILED_POLICY_SCHEMA,
    gateway: compiledGateway,
    identityProviders: byKind(documents, 'IdentityProvider').map(compileProvider),
    access: { rules: compileAccess(byKind(documents, 'AccessPolicy')) },
    masking: compileMasking(byKind(documents, 'MaskingPolicy'), compiledGateway),
    approval: compileApproval(byKind(documents, 'ApprovalPolicy')),
    grants: byKind(documents, 'AccessGrant').map(compileGrant),
    retention: compileRetention(byKind(documents, 'RetentionPolicy')[0]),
  });
}
