import type { ApiRequest, ApiRoute } from '../api/index.ts';
import { GatewayError } from '../errors/index.ts';
import type { BearerVerifier } from '../identity/index.ts';
import { parseDuration } from '../policy/index.ts';
import type { AccessRequestInput, GrantState, JitAccess } from './jit.ts';

const GRANT_STATES: readonly GrantState[] = ['pending', 'denied', 'scheduled', 'active', 'expired', 'revoked'];

function invalid(detail: string): GatewayError {
  return new GatewayError('access_request_invalid', { detail });
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * The body of `POST /v1/access/requests`:
 * `{"models": ["demo-large"] | "model": "demo-large", "duration": "5m", "reason": "…", "endpoints"?: [...]}`.
 */
export function parseAccessRequestBody(body: unknown): AccessRequestInput {
  if (typeof body !== 'object' || body === null) throw invalid('Send a JSON object.');
  const fields = body as Record<string, unknown>;
  const models = typeof fields.model === 'string' ? [fields.model] : fields.models;
  if (!isStringArray(models)) throw invalid("Name the 'model' or 'models'.");
  const durationMs = typeof fields.duration === 'string' ? parseDuration(fields.duration) : undefined;
  if (durationMs === undefined) throw invalid("'duration' must look like 90s, 5m, 2h or 1d.");
  if (typeof fields.reason !== 'string') throw invalid("Give a 'reason'.");
  if (fields.endpoints !== undefined && !isStringArray(fields.endpoints)) throw invalid("'endpoints' must be a list of paths.");
  return { models, durationMs, reason: fields.reason, ...(fields.endpoints ? { endpoints: fields.endpoints } : {}) };
}

/**
 * Control-plane API routes for JIT access, each authenticated with an OIDC bearer token of a
 * configured identity provider (the caller's identity is the requester or approver):
 * `POST /v1/access/requests`, `POST /v1/access/requests/:id/approve|deny`,
 * `POST /v1/access/grants/:id/revoke`, `GET /v1/access/grants[?state=active]`.
 */
export function accessApiRoutes(options: { jit: JitAccess; verify: BearerVerifier }): ApiRoute[] {
  const { jit, verify } = options;
  const caller = (request: ApiRequest) => verify(request.headers.authorization);
  const id = (request: ApiRequest) => request.params.id ?? '';
  return [
    {
      method: 'POST',
      path: '/v1/access/requests',
      handle: async (request) => {
        const requester = await caller(request);
        return { status: 201, body: jit.request(requester, parseAccessRequestBody(request.body)) };
      },
    },
    {
      method: 'POST',
      path: '/v1/access/requests/:id/approve',
      handle: async (request) => ({ status: 200, body: jit.approve(id(request), await caller(request)) }),
    },
    {
      method: 'POST',
      path: '/v1/access/requests/:id/deny',
      handle: async (request) => ({ status: 200, body: jit.deny(id(request), await caller(request)) }),
    },
    {
      method: 'POST',
      path: '/v1/access/grants/:id/revoke',
      handle: async (request) => ({ status: 200, body: jit.revoke(id(request), await caller(request)) }),
    },
    {
      method: 'GET',
      path: '/v1/access/grants',
      handle: async (request) => {
        const viewer = await caller(request);
        const state = request.query.get('state');
        if (state !== null && !GRANT_STATES.includes(state as GrantState)) throw invalid(`'state' is one of ${GRANT_STATES.join(', ')}.`);
        const grants = jit.list(viewer).filter((grant) => state === null || grant.state === state);
        return { status: 200, body: { object: 'list', data: grants } };
      },
    },
  ];
}
