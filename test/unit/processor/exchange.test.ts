import { describe, expect, it } from 'vitest';
import type { AccessRule } from '../../../control-plane/src/access/index.ts';
import type { AuditEventInput } from '../../../control-plane/src/audit/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { createMaskingEngine, DEFAULT_MASKING_RULES } from '../../../control-plane/src/masking/index.ts';
import { Exchange } from '../../../control-plane/src/processor/exchange.ts';
import type { ProcessingRequest } from '../../../control-plane/src/processor/messages.ts';
import { SwappablePolicy, type ExchangeRecorder, type RuntimePolicy } from '../../../control-plane/src/processor/index.ts';

const ISSUER = 'https://issuer.test';
const allowEngineering: AccessRule = {
  id: 'engineering-may-embed',
  policy: 'access',
  effect: 'allow',
  subjects: null,
  groups: ['engineering'],
  clients: null,
  models: ['demo-embed'],
  endpoints: ['/v1/embeddings', '/v1/models'],
  timeWindows: [],
  mode: 'enforce',
};

const policy: RuntimePolicy = {
  snapshot: { seq: 7, sha256: 'c'.repeat(64), version: '7-cccccccccccc' },
  limits: { maxBodyBytes: 4096, maxBatchInputs: 16 },
  models: new Set(['demo-embed']),
  identityProviders: [{ issuer: ISSUER }],
  accessRules: [allowEngineering],
  masking: createMaskingEngine(DEFAULT_MASKING_RULES),
  storeMaskedExcerpts: true,
  upstream: { name: 'demo', credentialHeader: undefined },
};

class MemoryRecorder implements ExchangeRecorder {
  events: AuditEventInput[] = [];
  failing = false;
  async append(event: AuditEventInput): Promise<void> {
    if (this.failing) throw new Error('disk full');
    this.events.push(event);
  }
}

// Test fixtures below build only the ProcessingRequest fields the exchange reads.
function headers(map: Record<string, string>, options: { groups?: string[]; endOfStream?: boolean; authenticated?: boolean } = {}): ProcessingRequest {
  const payload = { iss: ISSUER, sub: 'alice', groups: options.groups ?? ['engineering'] };
  return {
    request: 'request_headers',
    request_headers: {
      headers: { headers: Object.entries(map).map(([key, value]) => ({ key, value: '', raw_value: Buffer.from(value) })) },
      end_of_stream: options.endOfStream ?? false,
    },
    metadata_context: options.authenticated === false ? null : { filter_metadata: { 'envoy.filters.http.jwt_authn': { jwt_payload: payload } } },
    attributes: {},
  } as unknown as ProcessingRequest;
}

function body(kind: 'request_body' | 'response_body', json: string): ProcessingRequest {
  return { request: kind, [kind]: { body: Buffer.from(json), end_of_stream: true } } as unknown as ProcessingRequest;
}

function responseHeaders(status: number): ProcessingRequest {
  return {
    request: 'response_headers',
    response_headers: { headers: { headers: [{ key: ':status', value: '', raw_value: Buffer.from(String(status)) }] }, end_of_stream: false },
  } as unknown as ProcessingRequest;
}

function setup(current: RuntimePolicy | null = policy) {
  const recorder = new MemoryRecorder();
  const clock = new FakeClock();
  const exchange = new Exchange({
    policy: new SwappablePolicy(current ?? undefined),
    recorder,
    grants: () => [],
    clock,
    logger: silentLogger(),
    newRequestId: () => 'generated-request-id',
  });
  return { exchange, recorder, clock };
}

const embeddingsHeaders = { ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'application/json', 'x-request-id': 'req-12345678' };

function errorOf(reply: { immediate_response?: { body?: unknown } | null }): { code: string; message: string } {
  return JSON.parse((reply.immediate_response?.body as Buffer).toString()).error;
}

describe('Exchange', () => {
  it('forwards a masked request only after recording it, with a correct content-length', async () => {
    const { exchange, recorder } = setup();
    const headersReply = await exchange.handle(headers(embeddingsHeaders));
    expect(headersReply.request_headers?.response?.status).toBe('CONTINUE');
    expect(headersReply.request_headers?.response?.header_mutation?.remove_headers).toContain('x-api-key');
    const reply = await exchange.handle(body('request_body', '{"model":"demo-embed",  "input":["mail bob@example.org","b"]}'));
    const mutation = reply.request_body?.response;
    const forwarded = mutation?.body_mutation?.body as Buffer;
    expect(JSON.parse(forwarded.toString())).toEqual({ model: 'demo-embed', input: ['mail <EMAIL_ADDRESS>', 'b'] });
    const length = mutation?.header_mutation?.set_headers?.[0]?.header;
    expect(length?.key).toBe('content-length');
    expect(Number((length?.raw_value as Buffer).toString())).toBe(forwarded.length);
    expect(recorder.events.map((e) => e.type).sort()).toEqual(['masking.applied', 'request.received']);
    const received = recorder.events.find((e) => e.type === 'request.received');
    expect(received).toMatchObject({
      actor: { subject: 'alice', groups: ['engineering'], issuer: ISSUER },
      request: { id: 'req-12345678', model: 'demo-embed', inputCount: 2 },
      decision: { outcome: 'allow', ruleIds: ['engineering-may-embed'] },
      masking: { entityCounts: { EMAIL_ADDRESS: 1 }, actions: ['mask'] },
      policy: { seq: 7, sha256: 'c'.repeat(64) },
    });
    expect(JSON.stringify(recorder.events)).not.toContain('bob@example.org');
  });

  it('keeps the masked excerpt with the record only when the RetentionPolicy stores masked content', async () => {
    const excerptOf = async (storeMaskedExcerpts: boolean) => {
      const { exchange, recorder } = setup({ ...policy, storeMaskedExcerpts });
      await exchange.handle(headers(embeddingsHeaders));
      await exchange.handle(body('request_body', '{"model":"demo-embed","input":"mail bob@example.org"}'));
      return recorder.events.find((e) => e.type === 'request.received')?.excerpt;
    };
    expect(await excerptOf(true)).toBe('mail <EMAIL_ADDRESS>');
    expect(await excerptOf(false)).toBeUndefined();
  });

  it('records the completed exchange with a response summary', async () => {
    const { exchange, recorder, clock } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    clock.advance(12);
    await exchange.handle(responseHeaders(200));
    await exchange.handle(body('response_body', '{"object":"list","data":[{"embedding":[0.1,0.2,0.3]}],"usage":{"prompt_tokens":1,"total_tokens":1}}'));
    await Promise.resolve();
    const completed = recorder.events.find((e) => e.type === 'request.completed');
    expect(completed?.upstream).toEqual({ status: 200, latencyMs: 12, response: { count: 1, dimensions: 3, usage: { promptTokens: 1, totalTokens: 1 } } });
  });

  it('masks PII an upstream echoes in an error body', async () => {
    const { exchange } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    await exchange.handle(responseHeaders(400));
    const reply = await exchange.handle(body('response_body', '{"error":{"message":"bad input near carol@example.net"}}'));
    expect((reply.response_body?.response?.body_mutation?.body as Buffer).toString()).not.toContain('carol@example.net');
  });

  it('refuses with 503 and forwards nothing when the record cannot be committed', async () => {
    const { exchange, recorder } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    recorder.failing = true;
    const reply = await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    expect(reply.request_body).toBeUndefined();
    expect(reply.immediate_response?.status?.code).toBe(503);
    expect(errorOf(reply).code).toBe('audit_unavailable');
  });

  it('refuses a caller no rule allows with 403 naming the rule, and records the denial', async () => {
    const { exchange, recorder } = setup();
    await exchange.handle(headers(embeddingsHeaders, { groups: ['guests'] }));
    const reply = await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    expect(reply.immediate_response?.status?.code).toBe(403);
    expect(errorOf(reply)).toMatchObject({ code: 'access_denied' });
    expect(errorOf(reply).message).toContain('default-deny');
    expect(recorder.events).toMatchObject([{ type: 'request.denied', actor: { subject: 'alice' }, decision: { outcome: 'deny', reason: 'access_denied' } }]);
  });

  it('refuses without verified claims (fail closed if jwt_authn is missing)', async () => {
    const { exchange } = setup();
    const reply = await exchange.handle(headers(embeddingsHeaders, { authenticated: false }));
    expect(reply.immediate_response?.status?.code).toBe(401);
  });

  it('blocks a request with a secret, naming the type and rule but never the value', async () => {
    const { exchange, recorder } = setup({
      ...policy,
      masking: createMaskingEngine({ ...DEFAULT_MASKING_RULES, rules: [{ id: 'no-keys', entityTypes: ['AWS_ACCESS_KEY'], action: 'block' }] }),
    });
    await exchange.handle(headers(embeddingsHeaders));
    const secret = 'AKIAIOSFODNN7EXAMPLZ';
    const reply = await exchange.handle(body('request_body', JSON.stringify({ model: 'demo-embed', input: `key ${secret}` })));
    expect(reply.immediate_response?.status?.code).toBe(400);
    const error = errorOf(reply);
    expect(error.code).toBe('blocked_content');
    expect(error.message).toContain('AWS_ACCESS_KEY');
    expect(error.message).toContain('no-keys');
    expect(JSON.stringify(reply)).not.toContain(secret);
    expect(JSON.stringify(recorder.events)).not.toContain(secret);
  });

  it.each([
    [{ ':method': 'GET', ':path': '/v1/embeddings' }, 405, 'method_not_allowed'],
    [{ ':method': 'POST', ':path': '/v1/completions' }, 404, 'not_found'],
    [{ ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'text/plain' }, 415, 'invalid_content_type'],
  ])('refuses %o at the headers with an OpenAI error', async (map, status, code) => {
    const { exchange, recorder } = setup();
    const reply = await exchange.handle(headers(map));
    expect(reply.immediate_response?.status?.code).toBe(status);
    expect(errorOf(reply)).toMatchObject({ code, request_id: 'generated-request-id' });
    expect(recorder.events).toMatchObject([{ type: 'request.denied', decision: { outcome: 'deny', reason: code } }]);
  });

  it('records a model listing before it goes upstream, and refuses it when the log cannot commit', async () => {
    const listing = { ':method': 'GET', ':path': '/v1/models' };
    const ok = setup();
    const reply = await ok.exchange.handle(headers(listing, { endOfStream: true }));
    expect(reply.request_headers?.response?.status).toBe('CONTINUE');
    expect(ok.recorder.events).toMatchObject([{ type: 'request.received', request: { path: '/v1/models' }, decision: { outcome: 'allow' } }]);
    const failing = setup();
    failing.recorder.failing = true;
    const refused = await failing.exchange.handle(headers(listing, { endOfStream: true }));
    expect(refused.immediate_response?.status?.code).toBe(503);
  });

  it('refuses a model the gateway does not serve', async () => {
    const { exchange } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    const reply = await exchange.handle(body('request_body', '{"model":"gpt-x","input":"a"}'));
    expect(reply.immediate_response?.status?.code).toBe(404);
  });

  it('fails closed with 503 while no policy is loaded', async () => {
    const { exchange, recorder } = setup(null);
    const reply = await exchange.handle(headers(embeddingsHeaders));
    expect(reply.immediate_response?.status?.code).toBe(503);
    expect(recorder.events).toEqual([]);
  });

  it('records an exchange that was forwarded but whose stream ended early', async () => {
    const { exchange, recorder } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    exchange.end();
    await Promise.resolve();
    expect(recorder.events.at(-1)).toMatchObject({ type: 'request.completed', upstream: { status: 0 } });
  });
});
