import { ERROR_CATALOG, type ErrorCode, type ErrorSpec } from './catalog.ts';

export { ERROR_CATALOG, type ErrorCode, type ErrorSpec, type OpenAIErrorType } from './catalog.ts';

/**
 * An error meant for an API client. Its message is the catalog's plus an optional `detail` that the
 * caller vouches contains no request content (a rule id, an entity type, a limit).
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;
  readonly detail: string | undefined;
  readonly param: string | undefined;

  constructor(code: ErrorCode, options: { detail?: string; param?: string; cause?: unknown } = {}) {
    const spec = ERROR_CATALOG[code];
    super(options.detail ? `${spec.message} ${options.detail}` : spec.message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.spec = spec;
    this.detail = options.detail;
    this.param = options.param;
  }

  get status(): number {
    return this.spec.status;
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string; request_id?: string };
}

/**
 * The OpenAI error shape for any thrown value. Only `GatewayError`s keep their message; anything
 * else becomes a generic 500 so an unexpected exception can never echo request content.
 */
export function toOpenAIError(err: unknown, requestId?: string): { status: number; body: OpenAIErrorBody } {
  const known = err instanceof GatewayError ? err : new GatewayError('internal_error');
  const body: OpenAIErrorBody = {
    error: { message: known.message, type: known.spec.type, param: known.param ?? null, code: known.code },
  };
  if (requestId) body.error.request_id = requestId;
  return { status: known.status, body };
}

/** `toOpenAIError` serialised, ready to be a response body. */
export function openAIErrorJson(err: unknown, requestId?: string): { status: number; json: string } {
  const { status, body } = toOpenAIError(err, requestId);
  return { status, json: JSON.stringify(body) };
}
