import { describe, expect, it } from 'vitest';
import type { AuditEventInput } from '../../../control-plane/src/audit/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { createMaskingEngine, DEFAULT_MASKING_RULES } from '../../../control-plane/src/masking/index.ts';
import { Exchange } from '../../../control-plane/src/processor/exchange.ts';
import type { ProcessingRequest, ProcessingResponse } from '../../../control-plane/src/processor/messages.ts';
import { CALLER_PROVIDER_HEADERS, SwappablePolicy, type CredentialSource, type RuntimePolicy } from '../../../control-plane/src/processor/index.ts';

const ISSUER = 'https://issuer.test';
const CANARY = 'sk-canary-upstream-1f2e3d4c5b6a';

const policy: RuntimePolicy = {
  snapshot: { seq: 3, sha256: 'a'.repeat(64), version: '3-aaaaaaaaaaaa' },
  limits: { maxBodyBytes: 4096, maxBatchInputs: 16 },
  models: new Set(['demo-embed']),
  identityProviders: [{ issuer: ISSUER }],
  accessRules: [
    { id: 'all', policy: 'access', effect: 'allow', subjects: null, groups: ['engineering'], clients: null, models: ['demo-embed'], endpoints: ['/v1/embeddings', '/v1/models'], timeWindows: [], mode: 'enforce' },
  ],
  masking: createMaskingEngine(DEFAULT_MASKING_RULES),
  storeMaskedExcerpts: true,
  upstream: { name: 'openai', credentialHeader: 'authorization' },
};

// Only the fields the exchange reads; the generated __Output type wants every field.
function requestHeaders(path: string, method: string): ProcessingRequest {
  const map = { ':method': method, ':path': path, 'content-type': 'application/json', 'x-api-key': 'caller-key', 'openai-organization': 'org-caller' };
  return {
    request: 'request_headers',
    request_headers: { headers: { headers: Object.entries(map).map(([key, value]) => ({ key, value: '', raw_value: Buffer.from(value) })) }, end_of_stream: method === 'GET' },
    metadata_context: { filter_metadata: { 'envoy.filters.http.jwt_authn': { jwt_payload: { iss: ISSUER, sub: 'alice', groups: ['engineering'] } } } },
    attributes: {},
  } as unknown as ProcessingRequest;
}

function requestBody(json: string): ProcessingRequest {
  return { request: 'request_body', request_body: { body: Buffer.from(json), end_of_stream: true } } as unknown as ProcessingRequest;
}

function setup(credentials: CredentialSource | undefined, runtime: RuntimePolicy = policy) {
  const events: AuditEventInput[] = [];
  const exchange = new Exchange({
    policy: new SwappablePolicy(runtime),
    recorder: { append: async (event) => void events.push(event) },
    grants: () => [],
    clock: new FakeClock(),
    logger: silentLogger(),
    newRequestId: () => 'request-00000001',
    ...(credentials ? { credentials } : {}),
  });
  return { exchange, events };
}

function mutationOf(reply: ProcessingResponse, phase: 'request_headers' | 'request_body') {
  const mutation = reply[phase]?.response?.header_mutation;
  const set = new Map((mutation?.set_headers ?? []).map((h) => [h.header?.key, (h.header?.raw_value as Buffer).toString()]));
  return { set, remove: mutation?.remove_headers ?? [] };
}

describe('processor: upstream credential and caller provider headers', () => {
  let current = `Bearer ${CANARY}`;
  const source: CredentialSource = { header: (upstream) => (upstream === 'openai' ? { name: 'authorization', value: current } : undefined) };

  it('removes caller provider headers at the headers phase and adds the gateway key with the body, read at that moment', async () => {
    const { exchange } = setup(source);
    const headers = mutationOf(await exchange.handle(requestHeaders('/v1/embeddings', 'POST')), 'request_headers');
    expect(headers.set.size).toBe(0);
    expect(headers.remove).toEqual(expect.arrayContaining(['x-api-key', 'api-key', 'openai-organization', 'openai-project']));
    // The header the gateway's credential uses is set, not removed (Envoy removes before it sets, but be explicit).
    expect(headers.remove).not.toContain('authorization');
    current = 'Bearer sk-canary-rotated-9a8b7c6d5e4f';
    const body = mutationOf(await exchange.handle(requestBody('{"model":"demo-embed","input":"hi"}')), 'request_body');
    expect(body.set.get('authorization')).toBe('Bearer sk-canary-rotated-9a8b7c6d5e4f');
    expect(body.set.has('content-length')).toBe(true);
    current = `Bearer ${CANARY}`;
  });

  it('adds the key in the headers phase for GET /v1/models (no body phase)', async () => {
    const { exchange } = setup(source);
    const reply = await exchange.handle(requestHeaders('/v1/models', 'GET'));
    const headers = mutationOf(reply, 'request_headers');
    expect(headers.set.get('authorization')).toBe(`Bearer ${CANARY}`);
    expect(headers.remove).toContain('x-api-key');
  });

  it('refuses with 503 and records no received request when the credential the policy names is missing', async () => {
    const { exchange, events } = setup({ header: () => undefined });
    await exchange.handle(requestHeaders('/v1/embeddings', 'POST'));
    const reply = await exchange.handle(requestBody('{"model":"demo-embed","input":"hi"}'));
    expect(reply.immediate_response?.status?.code).toBe(503);
    expect(JSON.parse((reply.immediate_response?.body as Buffer).toString()).error.code).toBe('upstream_credential_unavailable');
    expect(events.map((e) => e.type)).toEqual(['request.denied']);
  });

  it('adds nothing when the policy names no credential, and still strips caller headers', async () => {
    const { exchange } = setup(undefined, { ...policy, upstream: { name: 'local', credentialHeader: undefined } });
    const headers = mutationOf(await exchange.handle(requestHeaders('/v1/models', 'GET')), 'request_headers');
    expect(headers.set.size).toBe(0);
    expect(headers.remove).toEqual([...CALLER_PROVIDER_HEADERS]);
  });
});
