import { isIP } from 'node:net';
import { compileEndpoint, isLoopbackHost } from './compile.ts';
import { DURATION_BOUNDS, parseDuration } from './duration.ts';
import type { SourceDocument, YamlPath } from './parse.ts';
import type {
  AccessPolicyDocument,
  AccessRuleSpec,
  ApprovalPolicyDocument,
  MaskingPolicyDocument,
  MaskingRuleSpec,
  PolicyDocument,
  PolicyKind,
  PolicyProblem,
  TimeWindow,
} from './types.ts';
import type { ContentChecks, LocatedDocument } from './validate.ts';

/** `*` in a subject, group, client or model list means "any". */
export const WILDCARD = '*';

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

type Located<K extends PolicyKind> = LocatedDocument<Extract<PolicyDocument, { kind: K }>>;

class ProblemSink {
  readonly problems: PolicyProblem[] = [];
  at(source: SourceDocument, path: YamlPath, message: string): void {
    this.problems.push({ file: source.file, ...source.locate(path), message });
  }
}

function ofKind<K extends PolicyKind>(documents: readonly LocatedDocument[], kind: K): Located<K>[] {
  return documents.filter((d): d is Located<K> => d.doc.kind === kind);
}

/**
 * Cross-document checks on schema-valid documents: singletons and uniqueness, references that
 * must resolve, duration bounds, time windows, custom patterns and contradictory rules. Every
 * problem points at the line of the offending value.
 */
export function checkSemantics(
  documents: readonly LocatedDocument[],
  checks: ContentChecks,
  directory: string,
): PolicyProblem[] {
  const sink = new ProblemSink();
  const gateways = ofKind(documents, 'Gateway');
  const providers = ofKind(documents, 'IdentityProvider');
  checkCardinality(sink, documents, gateways, providers, directory);
  const models = servedModels(sink, gateways);
  for (const gateway of gateways) checkUpstreamTransport(sink, gateway);
  const groups = new Set(providers.flatMap((p) => p.doc.spec.groups));
  const refs: References = { models, groups };
  for (const provider of providers) checkProvider(sink, provider);
  checkAccess(sink, ofKind(documents, 'AccessPolicy'), refs);
  checkMasking(sink, ofKind(documents, 'MaskingPolicy'), refs, checks);
  checkApproval(sink, ofKind(documents, 'ApprovalPolicy'), refs);
  for (const grant of ofKind(documents, 'AccessGrant')) checkGrant(sink, grant, refs);
  for (const retention of ofKind(documents, 'RetentionPolicy')) checkRetention(sink, retention);
  return sink.problems;
}

interface References {
  /** Every model some upstream serves. */
  models: ReadonlySet<string>;
  /** Every group some identity provider declares. */
  groups: ReadonlySet<string>;
}

function checkCardinality(
  sink: ProblemSink,
  documents: readonly LocatedDocument[],
  gateways: Located<'Gateway'>[],
  providers: Located<'IdentityProvider'>[],
  directory: string,
): void {
  const directoryProblem = (message: string): void => {
    sink.problems.push({ file: directory, line: 1, col: 1, message });
  };
  if (gateways.length === 0) directoryProblem('no Gateway document: exactly one is required');
  for (const extra of gateways.slice(1)) sink.at(extra.source, ['kind'], 'a second Gateway document: exactly one is allowed');
  if (providers.length === 0) directoryProblem('no IdentityProvider document: at least one is required');
  for (const extra of ofKind(documents, 'RetentionPolicy').slice(1)) sink.at(extra.source, ['kind'], 'a second RetentionPolicy document: at most one is allowed');
  for (const extra of ofKind(documents, 'MaskingPolicy').filter((m) => m.doc.spec.tokenization).slice(1)) {
    sink.at(extra.source, ['spec', 'tokenization'], 'tokenization is already configured in another MaskingPolicy: one key reference only');
  }
  const seenNames = new Map<string, SourceDocument>();
  for (const { doc, source } of documents) {
    const key = `${doc.kind}/${doc.metadata.name}`;
    const first = seenNames.get(key);
    if (first) sink.at(source, ['metadata', 'name'], `duplicate ${doc.kind} name ${doc.metadata.name} (first in ${first.file})`);
    else seenNames.set(key, source);
  }
  reportDuplicates(sink, providers.map((p) => ({ key: p.doc.spec.issuer, source: p.source, path: ['spec', 'issuer'] })), 'issuer');
}

function reportDuplicates(
  sink: ProblemSink,
  items: { key: string; source: SourceDocument; path: YamlPath }[],
  what: string,
): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.key)) sink.at(item.source, item.path, `duplicate ${what} ${item.key}`);
    seen.add(item.key);
  }
}

function servedModels(sink: ProblemSink, gateways: Located<'Gateway'>[]): Set<string> {
  const models = new Map<string, string>();
  for (const { doc, source } of gateways) {
    reportDuplicates(
      sink,
      doc.spec.upstreams.map((u, i) => ({ key: u.name, source, path: ['spec', 'upstreams', i, 'name'] })),
      'upstream name',
    );
    // Envoy sends every request to the first upstream: a second one's models would reach the
    // first provider, with the first one's credential, so the policy is refused instead.
    const [first, second] = doc.spec.upstreams;
    if (first && second) {
      sink.at(source, ['spec', 'upstreams', 1], `one upstream only: routing by model is not built, so requests for the models of ${second.name} would go to ${first.name}`);
    }
    doc.spec.upstreams.forEach((upstream, i) => {
      upstream.models.forEach((model, j) => {
        const other = models.get(model);
        if (other !== undefined && other !== upstream.name) {
          sink.at(source, ['spec', 'upstreams', i, 'models', j], `model ${model} is already served by upstream ${other}`);
        }
        if (model === WILDCARD) sink.at(source, ['spec', 'upstreams', i, 'models', j], 'an upstream must list its models explicitly');
        models.set(model, upstream.name);
      });
    });
  }
  return new Set(models.keys());
}

/** Headers HTTP framing or the gateway itself owns: a credential there would break or smuggle the request. */
const RESERVED_CREDENTIAL_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'upgrade', 'x-request-id']);

/**
 * Credentials and inputs cross the network in clear text over plain http: only loopback, unless
 * the policy says so explicitly. An https upstream addressed by IP needs an SNI name, since SNI
 * cannot carry an IP address (RFC 6066 §3) and the certificate is checked against that name.
 */
function checkUpstreamTransport(sink: ProblemSink, { doc, source }: Located<'Gateway'>): void {
  doc.spec.upstreams.forEach((upstream, i) => {
    const path = ['spec', 'upstreams', i];
    const header = upstream.credential?.header.toLowerCase();
    if (header && RESERVED_CREDENTIAL_HEADERS.has(header)) sink.at(source, [...path, 'credential', 'header'], `${header} cannot carry a credential`);
    const { host, tls } = compileEndpoint(upstream.url);
    if (!tls && upstream.tls) sink.at(source, [...path, 'tls'], 'tls settings need an https url');
    if (!tls && !isLoopbackHost(host) && upstream.allowInsecureHttp !== true) {
      sink.at(source, [...path, 'url'], `plain http to ${host} would send the credential and inputs in clear text: use https, or set allowInsecureHttp: true`);
    }
    if (tls && isIP(host) !== 0 && !upstream.tls?.sni) sink.at(source, [...path, 'url'], 'an https upstream addressed by IP needs tls.sni, the name its certificate carries');
  });
}

function checkProvider(sink: ProblemSink, { doc, source }: Located<'IdentityProvider'>): void {
  const jwks = doc.spec.jwks;
  if (!('inline' in jwks)) return;
  jwks.inline.keys.forEach((key, i) => {
    const secret = PRIVATE_JWK_MEMBERS.filter((member) => member in key);
    if (secret.length > 0) {
      sink.at(source, ['spec', 'jwks', 'inline', 'keys', i, secret[0]!], `inline JWKS key carries private key material (${secret.join(', ')}): publish only public keys`);
    }
  });
}

function checkRefs(
  sink: ProblemSink,
  source: SourceDocument,
  path: YamlPath,
  values: readonly string[] | undefined,
  known: ReadonlySet<string>,
  what: string,
): void {
  values?.forEach((value, i) => {
    if (value !== WILDCARD && !known.has(value)) sink.at(source, [...path, i], `unknown ${what} ${value}`);
  });
}

function checkAccess(sink: ProblemSink, policies: Located<'AccessPolicy'>[], refs: References): void {
  const ids: { key: string; source: SourceDocument; path: YamlPath }[] = [];
  const all: { rule: AccessRuleSpec; doc: AccessPolicyDocument; source: SourceDocument; index: number }[] = [];
  for (const { doc, source } of policies) {
    doc.spec.rules.forEach((rule, index) => {
      const path = ['spec', 'rules', index];
      ids.push({ key: rule.id, source, path: [...path, 'id'] });
      checkRefs(sink, source, [...path, 'groups'], rule.groups, refs.groups, 'group');
      checkRefs(sink, source, [...path, 'models'], rule.models, refs.models, 'model');
      rule.timeWindows?.forEach((window, w) => checkTimeWindow(sink, source, [...path, 'timeWindows', w], window));
      all.push({ rule, doc, source, index });
    });
  }
  reportDuplicates(sink, ids, 'access rule id');
  for (const allow of all.filter((r) => r.rule.effect === 'allow')) {
    const shadowing = all.find(
      (deny) => deny.rule.effect === 'deny' && effectiveMode(deny.doc, deny.rule) === 'enforce' && denyCovers(deny.rule, allow.rule),
    );
    if (shadowing) {
      sink.at(allow.source, ['spec', 'rules', allow.index, 'id'], `allow rule ${allow.rule.id} can never apply: deny rule ${shadowing.rule.id} always overrides it`);
    }
  }
}

function effectiveMode(doc: { spec: { mode: 'enforce' | 'shadow' } }, rule: { mode?: 'enforce' | 'shadow' }): 'enforce' | 'shadow' {
  return doc.spec.mode === 'shadow' ? 'shadow' : (rule.mode ?? 'enforce');
}

function covers(wide: readonly string[] | undefined, narrow: readonly string[] | undefined): boolean {
  if (wide === undefined) return narrow === undefined;
  if (wide.includes(WILDCARD)) return true;
  return narrow !== undefined && !narrow.includes(WILDCARD) && narrow.every((item) => wide.includes(item));
}

/** True when every request `allow` matches is also matched by the unconditional `deny`. */
function denyCovers(deny: AccessRuleSpec, allow: AccessRuleSpec): boolean {
  if (deny.timeWindows) return false;
  const endpointsCovered = deny.endpoints === undefined || covers(deny.endpoints, allow.endpoints ?? ['/v1/embeddings', '/v1/models']);
  const principalCovered = (['subjects', 'groups', 'clients'] as const).some(
    (field) => deny[field]?.includes(WILDCARD) || (deny[field] !== undefined && covers(deny[field], allow[field]) && onlyField(allow, field)),
  );
  return endpointsCovered && principalCovered && covers(deny.models, allow.models);
}

/** The allow rule names principals only through `field` (so covering that field covers the rule). */
function onlyField(rule: AccessRuleSpec, field: 'subjects' | 'groups' | 'clients'): boolean {
  return (['subjects', 'groups', 'clients'] as const).every((f) => f === field || rule[f] === undefined);
}

const DAY_MINUTES = 24 * 60;

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** True when `zone` is `UTC` or an IANA zone name this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function checkTimeWindow(sink: ProblemSink, source: SourceDocument, path: YamlPath, window: TimeWindow): void {
  if (!isKnownTimeZone(window.timezone)) sink.at(source, [...path, 'timezone'], `unknown time zone ${window.timezone}: use an IANA name or UTC`);
  if (minutes(window.end) > DAY_MINUTES) sink.at(source, [...path, 'end'], `end ${window.end} is after 24:00`);
  if (minutes(window.start) === minutes(window.end)) sink.at(source, [...path, 'end'], 'start and end are equal: the window is empty');
}

function checkMasking(sink: ProblemSink, policies: Located<'MaskingPolicy'>[], refs: References, checks: ContentChecks): void {
  const ids: { key: string; source: SourceDocument; path: YamlPath }[] = [];
  for (const { doc, source } of policies) {
    const entities = new Set([...checks.entityTypes, ...maskingNames(doc)]);
    doc.spec.customPatterns?.forEach((pattern, i) => {
      const path = ['spec', 'customPatterns', i, 'regex'];
      const flags = pattern.flags ?? '';
      try {
        new RegExp(pattern.regex, flags);
      } catch (err) {
        sink.at(source, path, `custom pattern ${pattern.name} does not compile: ${(err as Error).message}`);
        return;
      }
      const unsafe = checks.unsafeRegexReason(pattern.regex, flags);
      if (unsafe) sink.at(source, path, `custom pattern ${pattern.name} is unsafe: ${unsafe}`);
    });
    doc.spec.rules.forEach((rule, i) => {
      const path = ['spec', 'rules', i];
      ids.push({ key: rule.id, source, path: [...path, 'id'] });
      checkRefs(sink, source, [...path, 'entities'], rule.entities, entities, 'entity type');
      checkRefs(sink, source, [...path, 'scope', 'models'], rule.scope?.models, refs.models, 'model');
      checkRefs(sink, source, [...path, 'scope', 'groups'], rule.scope?.groups, refs.groups, 'group');
    });
    reportContradictoryMasking(sink, doc, source);
    if (doc.spec.rules.some((r) => r.action === 'tokenize') && !doc.spec.tokenization) {
      sink.at(source, ['spec'], 'a tokenize action needs spec.tokenization.keyRef');
    }
  }
  reportDuplicates(sink, ids, 'masking rule id');
}

/** Entity names a masking policy defines itself. */
function maskingNames(doc: MaskingPolicyDocument): string[] {
  const names = [...(doc.spec.customPatterns ?? []), ...(doc.spec.denyLists ?? [])].map((p) => p.name);
  if (doc.spec.personNames) names.push('PERSON');
  return names;
}

function scopeKey(rule: MaskingRuleSpec): string {
  const sorted = (v: string[] | undefined): string => (v ? [...v].sort().join(',') : WILDCARD);
  return `${sorted(rule.scope?.models)}|${sorted(rule.scope?.groups)}|${rule.mode ?? ''}`;
}

function reportContradictoryMasking(sink: ProblemSink, doc: MaskingPolicyDocument, source: SourceDocument): void {
  const byEntityScope = new Map<string, MaskingRuleSpec>();
  doc.spec.rules.forEach((rule, i) => {
    rule.entities.forEach((entity, j) => {
      const key = `${entity}|${scopeKey(rule)}`;
      const earlier = byEntityScope.get(key);
      if (earlier && earlier.action !== rule.action) {
        sink.at(source, ['spec', 'rules', i, 'entities', j], `rules ${earlier.id} (${earlier.action}) and ${rule.id} (${rule.action}) give ${entity} contradictory actions for the same scope`);
      }
      if (!earlier) byEntityScope.set(key, rule);
    });
  });
}

function checkDuration(
  sink: ProblemSink,
  source: SourceDocument,
  path: YamlPath,
  value: string | undefined,
  bounds: { min?: number; max?: number },
): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) return undefined;
  if (bounds.max !== undefined && ms > bounds.max) sink.at(source, path, `${value} is longer than the maximum ${humanDuration(bounds.max)}`);
  if (bounds.min !== undefined && ms < bounds.min) sink.at(source, path, `${value} is shorter than the minimum ${humanDuration(bounds.min)}`);
  return ms;
}

function humanDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

function checkApproval(sink: ProblemSink, policies: Located<'ApprovalPolicy'>[], refs: References): void {
  const ids: { key: string; source: SourceDocument; path: YamlPath }[] = [];
  const changeDocs: ApprovalPolicyDocument[] = [];
  let accessDocs = 0;
  for (const { doc, source } of policies) {
    doc.spec.runtime?.rules.forEach((rule, i) => {
      const path = ['spec', 'runtime', 'rules', i];
      ids.push({ key: rule.id, source, path: [...path, 'id'] });
      checkRefs(sink, source, [...path, 'when', 'models'], rule.when.models, refs.models, 'model');
      checkRefs(sink, source, [...path, 'when', 'groups'], rule.when.groups, refs.groups, 'group');
      checkRefs(sink, source, [...path, 'approverGroups'], rule.approverGroups, refs.groups, 'group');
      checkDuration(sink, source, [...path, 'holdTime'], rule.holdTime, DURATION_BOUNDS.holdTime);
      checkDuration(sink, source, [...path, 'ticketLifetime'], rule.ticketLifetime, DURATION_BOUNDS.ticketLifetime);
    });
    const access = doc.spec.access;
    if (access) {
      if (accessDocs > 0) sink.at(source, ['spec', 'access'], 'just-in-time access approval is already set in another ApprovalPolicy');
      accessDocs += 1;
      checkRefs(sink, source, ['spec', 'access', 'approverGroups'], access.approverGroups, refs.groups, 'group');
      checkDuration(sink, source, ['spec', 'access', 'maxDuration'], access.maxDuration, DURATION_BOUNDS.grant);
    }
    const change = doc.spec.change;
    if (!change) continue;
    if (changeDocs.length > 0) sink.at(source, ['spec', 'change'], 'change approval rules are already set in another ApprovalPolicy');
    changeDocs.push(doc);
    reportDuplicates(
      sink,
      change.approvers.map((a, i) => ({ key: a.github.toLowerCase(), source, path: ['spec', 'change', 'approvers', i, 'github'] })),
      'approver login',
    );
    if (change.quorum > change.approvers.length) {
      sink.at(source, ['spec', 'change', 'quorum'], `quorum ${change.quorum} is more than the ${change.approvers.length} approvers listed`);
    }
    const approverGroups = new Set(change.approvers.flatMap((a) => a.groups));
    change.approvers.forEach((a, i) => checkRefs(sink, source, ['spec', 'change', 'approvers', i, 'groups'], a.groups, refs.groups, 'group'));
    change.paths?.forEach((rule, i) => {
      checkRefs(sink, source, ['spec', 'change', 'paths', i, 'requiredGroups'], rule.requiredGroups, approverGroups, 'approver group');
      const eligible = change.approvers.filter((a) => a.groups.some((g) => rule.requiredGroups.includes(g))).length;
      if ((rule.minApprovals ?? 1) > eligible) {
        sink.at(source, ['spec', 'change', 'paths', i, 'minApprovals'], `needs ${rule.minApprovals ?? 1} approvals but only ${eligible} approvers are in ${rule.requiredGroups.join(', ')}`);
      }
    });
  }
  reportDuplicates(sink, ids, 'approval rule id');
}

function checkGrant(sink: ProblemSink, { doc, source }: Located<'AccessGrant'>, refs: References): void {
  checkRefs(sink, source, ['spec', 'models'], doc.spec.models, refs.models, 'model');
  const spec = doc.spec;
  if (spec.duration !== undefined) {
    checkDuration(sink, source, ['spec', 'duration'], spec.duration, DURATION_BOUNDS.grant);
    return;
  }
  const length = Date.parse(spec.expiresAt!) - Date.parse(spec.notBefore);
  if (length <= 0) sink.at(source, ['spec', 'expiresAt'], 'expiresAt must be after notBefore');
  else if (length > DURATION_BOUNDS.grant.max) sink.at(source, ['spec', 'expiresAt'], `grant lasts longer than the maximum ${humanDuration(DURATION_BOUNDS.grant.max)}`);
}

function checkRetention(sink: ProblemSink, { doc, source }: Located<'RetentionPolicy'>): void {
  const audit = doc.spec.audit;
  const keep = checkDuration(sink, source, ['spec', 'audit', 'keepMetadataFor'], audit.keepMetadataFor, DURATION_BOUNDS.keepMetadataFor);
  const content = checkDuration(sink, source, ['spec', 'audit', 'keepMaskedContentFor'], audit.keepMaskedContentFor, DURATION_BOUNDS.keepMaskedContentFor);
  if (audit.storeMaskedContent && content === undefined) {
    sink.at(source, ['spec', 'audit', 'storeMaskedContent'], 'storing masked content needs keepMaskedContentFor');
  }
  if (keep !== undefined && content !== undefined && content > keep) {
    sink.at(source, ['spec', 'audit', 'keepMaskedContentFor'], 'masked content cannot be kept longer than the records that point to it');
  }
}

/** 1-based line and column of a UTF-16 offset in `text`. */
function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: offset - lineStart + 1 };
}

/**
 * Policy is reviewed in public diffs, so a secret value anywhere in a policy file (a value, a key,
 * a comment) is leaked: only references are allowed. The message names the type, never the value.
 */
export function literalSecretProblems(file: string, text: string, checks: ContentChecks): PolicyProblem[] {
  return checks.findSecrets(text).map((finding) => ({
    file,
    ...positionOf(text, finding.start),
    message: `literal secret (${finding.type}) in policy: reference it instead (credential.ref: env:NAME or file:path)`,
  }));
}
