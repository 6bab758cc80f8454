import type { Clock } from '../clock/index.ts';
import { isoTime } from '../clock/index.ts';
import type { Logger } from '../log/index.ts';
import { GatewayError } from '../errors/index.ts';
import {
  continueResponse,
  errorResponse,
  readHeaders,
  replaceBody,
  type HeaderMap,
  type ProcessingRequest,
  type ProcessingResponse,
} from './messages.ts';
import type { PolicySource, RuntimePolicy } from './policy.ts';
import { parseEmbeddingsRequest, serializeEmbeddingsRequest, type EmbeddingsRequest } from './request.ts';
import type { ExchangeEntry, ExchangeEntryType, ExchangeRecorder } from './record.ts';
import { ResponseSummarizer } from './summary.ts';

export interface ExchangeDeps {
  readonly policy: PolicySource;
  readonly recorder: ExchangeRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newRequestId: () => string;
}

type Route = 'embeddings' | 'models';

/** Paths the gateway serves and the one method each accepts. */
const ROUTES: ReadonlyMap<string, { route: Route; method: string }> = new Map([
  ['/v1/embeddings', { route: 'embeddings', method: 'POST' }],
  ['/v1/models', { route: 'models', method: 'GET' }],
]);

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

function classify(method: string, path: string): Route {
  const known = ROUTES.get(path);
  if (!known) throw new GatewayError('not_found');
  if (known.method !== method) throw new GatewayError('method_not_allowed');
  return known.route;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);
}

/**
 * One HTTP exchange seen through one ext_proc stream: one method per phase, each turning an Envoy
 * message into exactly one reply. The policy is pinned when the stream begins.
 */
export class Exchange {
  readonly #deps: ExchangeDeps;
  readonly #logger: Logger;
  #policy: RuntimePolicy | undefined;
  #requestId = '';
  #method = '';
  #path = '';
  #route: Route | undefined;
  #request: EmbeddingsRequest | undefined;
  #requestBytes: number | undefined;
  #forwardedAt: number | undefined;
  #upstreamStatus = 0;
  #summarizer = new ResponseSummarizer();
  #finished = false;

  constructor(deps: ExchangeDeps) {
    this.#deps = deps;
    this.#logger = deps.logger;
  }

  get requestId(): string {
    return this.#requestId;
  }

  /** Answers one message from Envoy. Never throws: a failure becomes the reply that refuses. */
  async handle(message: ProcessingRequest): Promise<ProcessingResponse> {
    switch (message.request) {
      case 'request_headers':
        return this.#refusing(() => this.#onRequestHeaders(readHeaders(message.request_headers), message.request_headers?.end_of_stream ?? false));
      case 'request_body':
        return this.#refusing(() => this.#onRequestBody(message.request_body?.body ?? Buffer.alloc(0)));
      case 'response_headers':
        return this.#onResponseHeaders(readHeaders(message.response_headers), message.response_headers?.end_of_stream ?? false);
      case 'response_body':
        return this.#onResponseBody(message.response_body?.body ?? Buffer.alloc(0), message.response_body?.end_of_stream ?? false);
      case 'request_trailers':
      case 'response_trailers':
        return continueResponse(message.request);
      default:
        throw new Error(`unknown ext_proc message: ${String(message.request)}`);
    }
  }

  /** The stream ended; records an exchange that was forwarded but never completed. */
  end(): void {
    if (this.#forwardedAt !== undefined && !this.#finished) {
      this.#finish('request.completed', 'incomplete');
    }
  }

  async #refusing(phase: () => Promise<ProcessingResponse> | ProcessingResponse): Promise<ProcessingResponse> {
    try {
      return await phase();
    } catch (err) {
      return this.#refuse(err);
    }
  }

  async #refuse(err: unknown): Promise<ProcessingResponse> {
    if (!(err instanceof GatewayError)) this.#logger.error({ err, requestId: this.#requestId }, 'request processing failed');
    const code = err instanceof GatewayError ? err.code : 'internal_error';
    this.#finished = true;
    if (this.#policy) {
      try {
        await this.#deps.recorder.record(this.#entry('request.denied', { decision: 'deny', errorCode: code }));
      } catch (recordErr) {
        this.#logger.error({ err: recordErr, requestId: this.#requestId }, 'could not record a refused request');
      }
    }
    return errorResponse(err, this.#requestId);
  }

  #onRequestHeaders(headers: HeaderMap, endOfStream: boolean): ProcessingResponse {
    const candidate = headers.get('x-request-id');
    this.#requestId = candidate && REQUEST_ID.test(candidate) ? candidate : this.#deps.newRequestId();
    this.#method = headers.get(':method') ?? '';
    this.#path = (headers.get(':path') ?? '').split('?')[0] ?? '';
    this.#policy = this.#deps.policy.current();
    if (!this.#policy) throw new GatewayError('policy_unavailable');
    this.#route = classify(this.#method, this.#path);
    if (this.#route === 'models') {
      this.#forwardedAt = this.#deps.clock.now();
      return continueResponse('request_headers');
    }
    if (!isJson(headers.get('content-type'))) throw new GatewayError('invalid_content_type');
    if (endOfStream) throw new GatewayError('invalid_json', { detail: 'The body is empty.' });
    return continueResponse('request_headers');
  }

  async #onRequestBody(body: Buffer): Promise<ProcessingResponse> {
    const policy = this.#policy;
    if (!policy || this.#route !== 'embeddings') throw new Error('request body before accepted embeddings headers');
    const request = parseEmbeddingsRequest(body, policy.limits);
    this.#request = request;
    this.#requestBytes = body.length;
    if (policy.models.size > 0 && !policy.models.has(request.model)) throw new GatewayError('unknown_model', { param: 'model' });
    const forwarded = serializeEmbeddingsRequest(request);
    try {
      await this.#deps.recorder.record(this.#entry('request.received', { decision: 'allow' }));
    } catch (cause) {
      this.#logger.error({ err: cause, requestId: this.#requestId }, 'audit append failed; refusing request');
      this.#policy = undefined;
      throw new GatewayError('audit_unavailable', { cause });
    }
    this.#forwardedAt = this.#deps.clock.now();
    return replaceBody('request_body', forwarded);
  }

  #onResponseHeaders(headers: HeaderMap, endOfStream: boolean): ProcessingResponse {
    this.#upstreamStatus = Number(headers.get(':status') ?? 0);
    if (endOfStream) this.#finish('request.completed');
    return continueResponse('response_headers');
  }

  #onResponseBody(chunk: Buffer, endOfStream: boolean): ProcessingResponse {
    this.#summarizer.add(chunk);
    if (endOfStream) this.#finish('request.completed');
    return continueResponse('response_body');
  }

  /** Records the outcome without holding the response back; a failure is logged, not retried. */
  #finish(type: ExchangeEntryType, errorCode?: string): void {
    if (this.#finished || !this.#policy) return;
    this.#finished = true;
    const latencyMs = this.#deps.clock.now() - (this.#forwardedAt ?? this.#deps.clock.now());
    const entry = this.#entry(type, {
      decision: 'allow',
      errorCode,
      upstream: { status: this.#upstreamStatus, latencyMs, response: this.#summarizer.summary() },
    });
    this.#deps.recorder.record(entry).catch((err: unknown) => {
      this.#logger.error({ err, requestId: this.#requestId }, 'could not record a completed exchange');
    });
  }

  #entry(type: ExchangeEntryType, outcome: Pick<ExchangeEntry, 'decision'> & Partial<ExchangeEntry>): ExchangeEntry {
    const policy = this.#policy as RuntimePolicy;
    return {
      type,
      requestId: this.#requestId,
      time: isoTime(this.#deps.clock),
      method: this.#method,
      path: this.#path,
      sourceAddress: undefined,
      identity: undefined,
      model: this.#request?.model,
      inputCount: this.#request?.items.length,
      requestBytes: this.#requestBytes,
      ruleIds: [],
      errorCode: undefined,
      masking: undefined,
      policy: policy.snapshot,
      upstream: undefined,
      ...outcome,
    };
  }
}
