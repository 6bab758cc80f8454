import { accessDeniedError, decideAccess, type AccessDecision, type GrantWindow } from '../access/index.ts';
import { decideRequest, refusalError } from './decide.ts';
import type { AuditActor, AuditDecision, AuditEventInput, AuditMasking, AuditRequest, AuditUpstream } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { GatewayError } from '../errors/index.ts';
import { identityFromMetadata, type Identity } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { Finding, InputScanResult } from '../masking/index.ts';
import { callerHeadersToRemove, upstreamCredentialHeaders, type CredentialSource } from './credentials.ts';
import {
  continueResponse,
  continueWithHeaders,
  errorResponse,
  readHeaders,
  replaceBody,
  type HeaderMap,
  type ProcessingRequest,
  type ProcessingResponse,
} from './messages.ts';
import type { PolicySource, RuntimePolicy } from './policy.ts';
import type { ExchangeRecorder } from './record.ts';
import { parseEmbeddingsRequest, serializeEmbeddingsRequest, type EmbeddingsRequest } from './request.ts';
import { summarizeResponse } from './summary.ts';

export interface ExchangeDeps {
  readonly policy: PolicySource;
  readonly recorder: ExchangeRecorder;
  /** Time-bound grants active now (JIT and policy grants), checked on every request. */
  readonly grants: () => readonly GrantWindow[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newRequestId: () => string;
  /** Upstream credentials; a policy naming one the source lacks is refused. */
  readonly credentials?: CredentialSource;
}

type Route = 'embeddings' | 'models';

/** Paths the gateway serves and the one method each accepts. */
const ROUTES: ReadonlyMap<string, { route: Route; method: string }> = new Map([
  ['/v1/embeddings', { route: 'embeddings', method: 'POST' }],
  ['/v1/models', { route: 'models', method: 'GET' }],
]);

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
/** The masked text kept (outside the Merkle leaves) per request, for reviewers. */
const EXCERPT_CHARS = 512;
const ANONYMOUS: AuditActor = { subject: 'anonymous' };

function classify(method: string, path: string): Route {
  const known = ROUTES.get(path);
  if (!known) throw new GatewayError('not_found');
  if (known.method !== method) throw new GatewayError('method_not_allowed');
  return known.route;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);
}

/** Envoy's `source.address` request attribute, sent because the ext_proc filter asks for it. */
function sourceAddressOf(message: ProcessingRequest): string | undefined {
  const fields = message.attributes?.['envoy.filters.http.ext_proc']?.fields;
  const value = fields?.['source.address']?.stringValue;
  return typeof value === 'string' && value.length <= 64 ? value : undefined;
}

function maskingSection(findings: readonly Finding[]): AuditMasking | undefined {
  if (findings.length === 0) return undefined;
  const entityCounts: Record<string, number> = {};
  for (const finding of findings) entityCounts[finding.type] = (entityCounts[finding.type] ?? 0) + 1;
  const actions = [...new Set(findings.map((f) => f.action).filter((a): a is AuditMasking['actions'][number] => a !== 'allow'))];
  return { entityCounts, ruleIds: [...new Set(findings.map((f) => f.ruleId))].sort(), actions: actions.sort() };
}

function accessRuleIds(decision: AccessDecision): string[] {
  return decision.basis === 'rule' ? [decision.ruleId] : [];
}

/**
 * One HTTP exchange seen through one ext_proc stream: one method per phase, each turning an Envoy
 * message into exactly one reply. The policy is pinned when the stream begins. The order of checks
 * is the architecture's: identity → route → access → parse → mask → durable record → forward.
 */
export class Exchange {
  readonly #deps: ExchangeDeps;
  #policy: RuntimePolicy | undefined;
  #requestId = '';
  #method = '';
  #path = '';
  #sourceAddress: string | undefined;
  #identity: Identity | undefined;
  #route: Route | undefined;
  #request: EmbeddingsRequest | undefined;
  #requestBytes: number | undefined;
  #scan: InputScanResult | undefined;
  #access: AccessDecision | undefined;
  #forwardedAt: number | undefined;
  #upstreamStatus = 0;
  #finished = false;

  constructor(deps: ExchangeDeps) {
    this.#deps = deps;
  }

  get requestId(): string {
    return this.#requestId;
  }

  /** Answers one message from Envoy. A refusal becomes an ImmediateResponse, never a thrown error. */
  async handle(message: ProcessingRequest): Promise<ProcessingResponse> {
    switch (message.request) {
      case 'request_headers':
        return this.#refusing(() => this.#onRequestHeaders(message));
      case 'request_body':
        return this.#refusing(() => this.#onRequestBody(message.request_body?.body ?? Buffer.alloc(0)));
      case 'response_headers':
        return this.#onResponseHeaders(readHeaders(message.response_headers), message.response_headers?.end_of_stream ?? false);
      case 'response_body':
        return this.#onResponseBody(message.response_body?.body ?? Buffer.alloc(0));
      case 'request_trailers':
      case 'response_trailers':
        return continueResponse(message.request);
      default:
        throw new Error(`unknown ext_proc message: ${String(message.request)}`);
    }
  }

  /** The stream ended; records an exchange that was forwarded but never completed. */
  end(): void {
    if (this.#forwardedAt !== undefined && !this.#finished) this.#finish(0);
  }

  async #refusing(phase: () => Promise<ProcessingResponse> | ProcessingResponse): Promise<ProcessingResponse> {
    try {
      return await phase();
    } catch (err) {
      return this.#refuse(err);
    }
  }

  async #refuse(err: unknown): Promise<ProcessingResponse> {
    if (!(err instanceof GatewayError)) this.#deps.logger.error({ err, requestId: this.#requestId }, 'request processing failed');
    const code = err instanceof GatewayError ? err.code : 'internal_error';
    this.#finished = true;
    if (this.#policy && code !== 'audit_unavailable') {
      const ruleIds = [
        ...(this.#access ? accessRuleIds(this.#access) : []),
        ...(this.#scan?.decision ? [this.#scan.decision.ruleId] : []),
      ];
      const decision: AuditDecision = { outcome: 'deny', reason: code, ...(ruleIds.length > 0 ? { ruleIds } : {}) };
      try {
        await this.#deps.recorder.append({ type: 'request.denied', ...this.#sections(), decision });
      } catch (recordErr) {
        this.#deps.logger.error({ err: recordErr, requestId: this.#requestId }, 'could not record a refused request');
      }
    }
    return errorResponse(err, this.#requestId);
  }

  async #onRequestHeaders(message: ProcessingRequest): Promise<ProcessingResponse> {
    const headers = readHeaders(message.request_headers);
    const candidate = headers.get('x-request-id');
    this.#requestId = candidate && REQUEST_ID.test(candidate) ? candidate : this.#deps.newRequestId();
    this.#method = headers.get(':method') ?? '';
    this.#path = (headers.get(':path') ?? '').split('?')[0] ?? '';
    this.#sourceAddress = sourceAddressOf(message);
    const policy = this.#deps.policy.current();
    if (!policy) throw new GatewayError('policy_unavailable');
    this.#policy = policy;
    const identity = identityFromMetadata(message.metadata_context, policy.identityProviders);
    if (!identity.ok) throw new GatewayError('unauthenticated');
    this.#identity = identity.identity;
    this.#route = classify(this.#method, this.#path);
    if (this.#route === 'models') {
      this.#authorizeAnyModel(policy);
      const credential = upstreamCredentialHeaders(policy, this.#deps.credentials);
      // A model listing goes upstream too, so it is recorded first like any other request.
      await this.#commitReceived([]);
      this.#forwardedAt = this.#deps.clock.now();
      return continueWithHeaders('request_headers', credential, callerHeadersToRemove(policy));
    }
    if (!isJson(headers.get('content-type'))) throw new GatewayError('invalid_content_type');
    if (message.request_headers?.end_of_stream) throw new GatewayError('invalid_json', { detail: 'The body is empty.' });
    // Caller-sent provider credentials go now; the gateway's is added with the body, once it may go.
    return continueWithHeaders('request_headers', [], callerHeadersToRemove(policy));
  }

  /** `GET /v1/models` is allowed to callers who may use at least one served model. */
  #authorizeAnyModel(policy: RuntimePolicy): void {
    let denied: AccessDecision | undefined;
    for (const model of policy.models) {
      const decision = this.#authorize(policy, model);
      if (decision.allowed) return;
      denied = decision;
    }
    throw denied && !denied.allowed ? accessDeniedError(denied) : new GatewayError('access_denied');
  }

  #authorize(policy: RuntimePolicy, model: string): AccessDecision {
    const decision = decideAccess(
      policy.accessRules,
      { identity: this.#identity as Identity, model, endpoint: this.#path },
      { clock: this.#deps.clock, grants: this.#deps.grants() },
    );
    this.#access = decision;
    return decision;
  }

  async #onRequestBody(body: Buffer): Promise<ProcessingResponse> {
    const policy = this.#policy;
    if (!policy || this.#route !== 'embeddings') throw new Error('request body before accepted embeddings headers');
    this.#requestBytes = body.length;
    const request = parseEmbeddingsRequest(body, policy.limits);
    this.#request = request;
    if (policy.models.size > 0 && !policy.models.has(request.model)) throw new GatewayError('unknown_model', { param: 'model' });
    const decision = decideRequest(
      policy,
      { identity: this.#identity as Identity, model: request.model, endpoint: this.#path, input: request.input, user: request.user },
      { clock: this.#deps.clock, grants: this.#deps.grants() },
    );
    this.#access = decision.access;
    if (decision.outcome === 'deny') throw refusalError(decision);
    this.#scan = decision.scan;
    if (decision.outcome !== 'allow') throw refusalError(decision);
    // Checked before the record so a missing credential is a refusal, not a received request.
    upstreamCredentialHeaders(policy, this.#deps.credentials);
    await this.#commitReceived([...decision.scan.findings, ...(decision.user?.findings ?? [])]);
    // Read again after the (awaited) append: a rotation meanwhile applies to this request too.
    const credential = upstreamCredentialHeaders(policy, this.#deps.credentials);
    this.#forwardedAt = this.#deps.clock.now();
    return replaceBody('request_body', serializeEmbeddingsRequest(request, decision.scan.input, decision.user?.masked), credential);
  }

  /** Durable before forward: the request goes upstream only once these events are committed. */
  async #commitReceived(findings: readonly Finding[]): Promise<void> {
    const masking = maskingSection(findings);
    const access = this.#access;
    const decision: AuditDecision = {
      outcome: 'allow',
      ...(access && accessRuleIds(access).length > 0 ? { ruleIds: accessRuleIds(access) } : {}),
      ...(access?.allowed && access.basis === 'grant' ? { grantId: access.grantId } : {}),
    };
    const excerpt = this.#policy?.storeMaskedExcerpts ? this.#scan?.maskedTexts.join('\n').slice(0, EXCERPT_CHARS) : undefined;
    const events: AuditEventInput[] = [
      { type: 'request.received', ...this.#sections(), decision, ...(masking ? { masking } : {}), ...(excerpt ? { excerpt } : {}) },
    ];
    if (masking) events.push({ type: 'masking.applied', request: this.#requestSection(), masking, policy: this.#policyRef() });
    try {
      await Promise.all(events.map((event) => this.#deps.recorder.append(event)));
    } catch (cause) {
      this.#deps.logger.error({ err: cause, requestId: this.#requestId }, 'audit append failed; refusing request');
      throw new GatewayError('audit_unavailable', { cause });
    }
  }

  #onResponseHeaders(headers: HeaderMap, endOfStream: boolean): ProcessingResponse {
    this.#upstreamStatus = Number(headers.get(':status') ?? 0);
    if (endOfStream) this.#finish(this.#upstreamStatus);
    return continueResponse('response_headers');
  }

  /**
   * The response body arrives whole (BUFFERED, with the listener's response limit). Error bodies an
   * upstream sends can echo the request, so they are masked like the request was.
   */
  #onResponseBody(body: Buffer): ProcessingResponse {
    const summary = this.#upstreamStatus < 400 ? summarizeResponse(body) : undefined;
    this.#finish(this.#upstreamStatus, summary);
    const policy = this.#policy;
    if (this.#upstreamStatus >= 400 && policy && body.length > 0) {
      const text = body.toString('utf8');
      const masked = policy.masking.scan(text, { model: this.#request?.model, groups: this.#identity?.groups ?? [] });
      if (masked.findings.length > 0) return replaceBody('response_body', Buffer.from(masked.masked, 'utf8'));
    }
    return continueResponse('response_body');
  }

  /**
   * Records the outcome without holding the response back; a failure is logged, not retried. Nothing
   * waits on the record, so it may share the next request's commit instead of paying for its own.
   */
  #finish(status: number, response?: AuditUpstream['response']): void {
    if (this.#finished || !this.#policy) return;
    this.#finished = true;
    const now = this.#deps.clock.now();
    const upstream: AuditUpstream = { status, latencyMs: now - (this.#forwardedAt ?? now), ...(response ? { response } : {}) };
    this.#deps.recorder.append({ type: 'request.completed', ...this.#sections(), upstream }, { defer: true }).catch((err: unknown) => {
      this.#deps.logger.error({ err, requestId: this.#requestId }, 'could not record a completed exchange');
    });
  }

  #sections(): { actor: AuditActor; request: AuditRequest; policy: { seq: number; sha256: string } } {
    return { actor: this.#actor(), request: this.#requestSection(), policy: this.#policyRef() };
  }

  #actor(): AuditActor {
    const identity = this.#identity;
    const source = this.#sourceAddress ? { sourceAddress: this.#sourceAddress } : {};
    if (!identity) return { ...ANONYMOUS, ...source };
    return {
      subject: identity.subject,
      groups: [...identity.groups],
      issuer: identity.issuer,
      ...(identity.clientId ? { clientId: identity.clientId } : {}),
      ...source,
    };
  }

  #requestSection(): AuditRequest {
    return {
      id: this.#requestId,
      method: this.#method,
      path: this.#path,
      ...(this.#request ? { model: this.#request.model, inputCount: this.#request.items.length } : {}),
      ...(this.#requestBytes !== undefined ? { bytes: this.#requestBytes } : {}),
    };
  }

  #policyRef(): { seq: number; sha256: string } {
    const snapshot = (this.#policy as RuntimePolicy).snapshot;
    return { seq: snapshot.seq, sha256: snapshot.sha256 };
  }
}
