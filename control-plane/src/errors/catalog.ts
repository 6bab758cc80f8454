/**
 * Every error an API client can see, with a stable code. A code is never reused for another meaning;
 * `docs/errors.md` lists the same table and a test keeps the two in sync.
 *
 * `type` follows the OpenAI error shape (`invalid_request_error`, `authentication_error`, …) so
 * existing clients classify our refusals the way they classify the provider's.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly type: OpenAIErrorType;
  /** The message shown to the client. Never contains request content. */
  readonly message: string;
}

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'approval_required'
  | 'server_error'
  | 'service_unavailable';

export const ERROR_CATALOG = {
  invalid_json: { status: 400, type: 'invalid_request_error', message: 'The request body is not valid JSON.' },
  invalid_content_type: {
    status: 415,
    type: 'invalid_request_error',
    message: 'The request body must be application/json.',
  },
  invalid_request: { status: 400, type: 'invalid_request_error', message: 'The request body is not a valid embeddings request.' },
  malformed_http: {
    status: 400,
    type: 'invalid_request_error',
    message: 'The HTTP request is malformed or uses a path or header form the gateway refuses.',
  },
  missing_model: { status: 400, type: 'invalid_request_error', message: "The request must name a 'model'." },
  invalid_input: {
    status: 400,
    type: 'invalid_request_error',
    message: "'input' must be a non-empty string, array of strings, array of token ids, or array of token id arrays.",
  },
  empty_input: { status: 400, type: 'invalid_request_error', message: "'input' must not be empty." },
  body_too_large: { status: 413, type: 'invalid_request_error', message: 'The request body is larger than the gateway allows.' },
  batch_too_large: { status: 400, type: 'invalid_request_error', message: "'input' has more items than the gateway allows." },
  unknown_model: { status: 404, type: 'not_found_error', message: 'The model does not exist or is not served by this gateway.' },
  not_found: { status: 404, type: 'not_found_error', message: 'Unknown path. This gateway serves POST /v1/embeddings and GET /v1/models.' },
  method_not_allowed: { status: 405, type: 'invalid_request_error', message: 'Method not allowed for this path.' },
  unauthenticated: { status: 401, type: 'authentication_error', message: 'A valid bearer token is required.' },
  access_denied: { status: 403, type: 'permission_error', message: 'Access to this model is not permitted.' },
  access_request_invalid: { status: 400, type: 'invalid_request_error', message: 'The access request is not valid.' },
  access_request_not_found: { status: 404, type: 'not_found_error', message: 'No access request or grant has this id.' },
  access_request_forbidden: {
    status: 403,
    type: 'permission_error',
    message: 'You may not take this action on this access request.',
  },
  access_request_conflict: {
    status: 409,
    type: 'invalid_request_error',
    message: 'The access request is not in a state that allows this action.',
  },
  blocked_content: { status: 400, type: 'invalid_request_error', message: 'The request contains content that policy blocks.' },
  approval_required: { status: 403, type: 'approval_required', message: 'The request needs approval before it can be sent.' },
  masking_budget_exceeded: {
    status: 413,
    type: 'invalid_request_error',
    message: 'The request could not be inspected within the gateway limits.',
  },
  token_input_refused: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Token id input is not accepted for this model by policy.',
  },
  audit_unavailable: {
    status: 503,
    type: 'service_unavailable',
    message: 'The gateway cannot record the request right now; it was not sent.',
  },
  policy_unavailable: { status: 503, type: 'service_unavailable', message: 'The gateway has no valid policy loaded.' },
  processor_unavailable: { status: 503, type: 'service_unavailable', message: 'The gateway request processor is unavailable.' },
  upstream_unavailable: { status: 502, type: 'server_error', message: 'The embeddings upstream could not be reached.' },
  upstream_credential_unavailable: {
    status: 503,
    type: 'service_unavailable',
    message: 'The gateway holds no credential for the embeddings upstream.',
  },
  upstream_timeout: { status: 504, type: 'server_error', message: 'The embeddings upstream did not answer in time.' },
  internal_error: { status: 500, type: 'server_error', message: 'Internal gateway error.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
