import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { Exchange } from '../../../control-plane/src/processor/exchange.ts';
import type { ProcessingRequest } from '../../../control-plane/src/processor/messages.ts';
import { SwappablePolicy, type ExchangeEntry, type ExchangeRecorder, type RuntimePolicy } from '../../../control-plane/src/processor/index.ts';

const policy: RuntimePolicy = {
  snapshot: { seq: 7, sha256: 'c'.repeat(64), version: '7-cccccccccccc' },
  limits: { maxBodyBytes: 4096, maxBatchInputs: 16 },
  models: new Set(['demo-embed']),
};

class MemoryRecorder implements ExchangeRecorder {
  entries: ExchangeEntry[] = [];
  failing = false;
  async record(entry: ExchangeEntry): Promise<void> {
    if (this.failing) throw new Error('disk full');
    this.entries.push(entry);
  }
  async close(): Promise<void> {}
}

function headers(map: Record<string, string>, endOfStream = false): ProcessingRequest {
  return {
    request: 'request_headers',
    request_headers: {
      headers: { headers: Object.entries(map).map(([key, value]) => ({ key, value: '', raw_value: Buffer.from(value) })) },
      end_of_stream: endOfStream,
    },
  } as unknown as ProcessingRequest; // test fixture: only the fields the exchange reads
}

function body(kind: 'request_body' | 'response_body', json: string, endOfStream = true): ProcessingRequest {
  return { request: kind, [kind]: { body: Buffer.from(json), end_of_stream: endOfStream } } as unknown as ProcessingRequest;
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
    clock,
    logger: silentLogger(),
    newRequestId: () => 'generated-request-id',
  });
  return { exchange, recorder, clock };
}

const embeddingsHeaders = { ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'application/json', 'x-request-id': 'req-12345678' };

describe('Exchange', () => {
  it('forwards a valid request only after recording it, with a correct content-length', async () => {
    const { exchange, recorder } = setup();
    expect(await exchange.handle(headers(embeddingsHeaders))).toEqual({ request_headers: { response: { status: 'CONTINUE' } } });
    const reply = await exchange.handle(body('request_body', '{"model":"demo-embed",  "input":["a","b"]}'));
    const mutation = reply.request_body?.response;
    const forwarded = mutation?.body_mutation?.body as Buffer;
    expect(JSON.parse(forwarded.toString())).toEqual({ model: 'demo-embed', input: ['a', 'b'] });
    const length = mutation?.header_mutation?.set_headers?.[0]?.header;
    expect(length?.key).toBe('content-length');
    expect(Number((length?.raw_value as Buffer).toString())).toBe(forwarded.length);
    expect(recorder.entries.map((e) => e.type)).toEqual(['request.received']);
    expect(recorder.entries[0]).toMatchObject({ requestId: 'req-12345678', model: 'demo-embed', inputCount: 2, policy: policy.snapshot });
  });

  it('records the completed exchange with a response summary', async () => {
    const { exchange, recorder, clock } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    clock.advance(12);
    await exchange.handle(responseHeaders(200));
    await exchange.handle(body('response_body', '{"object":"list","data":[{"embedding":[0.1,', false));
    await exchange.handle(body('response_body', '0.2,0.3]}],"usage":{"prompt_tokens":1,"total_tokens":1}}'));
    await Promise.resolve();
    const completed = recorder.entries.find((e) => e.type === 'request.completed');
    expect(completed?.upstream).toMatchObject({ status: 200, latencyMs: 12, response: { count: 1, dimensions: 3, promptTokens: 1 } });
  });

  it('refuses with 503 and forwards nothing when the record cannot be committed', async () => {
    const { exchange, recorder } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    recorder.failing = true;
    const reply = await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    expect(reply.request_body).toBeUndefined();
    expect(reply.immediate_response?.status?.code).toBe(503);
    expect(JSON.parse((reply.immediate_response?.body as Buffer).toString()).error.code).toBe('audit_unavailable');
  });

  it.each([
    [{ ':method': 'GET', ':path': '/v1/embeddings' }, 405, 'method_not_allowed'],
    [{ ':method': 'POST', ':path': '/v1/completions' }, 404, 'not_found'],
    [{ ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'text/plain' }, 415, 'invalid_content_type'],
  ])('refuses %o at the headers with an OpenAI error', async (map, status, code) => {
    const { exchange, recorder } = setup();
    const reply = await exchange.handle(headers(map));
    expect(reply.immediate_response?.status?.code).toBe(status);
    const error = JSON.parse((reply.immediate_response?.body as Buffer).toString()).error;
    expect(error).toMatchObject({ code, request_id: 'generated-request-id' });
    expect(recorder.entries).toMatchObject([{ type: 'request.denied', errorCode: code, decision: 'deny' }]);
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
    expect(recorder.entries).toEqual([]);
  });

  it('records an exchange that was forwarded but whose stream ended early', async () => {
    const { exchange, recorder } = setup();
    await exchange.handle(headers(embeddingsHeaders));
    await exchange.handle(body('request_body', '{"model":"demo-embed","input":"a"}'));
    exchange.end();
    await Promise.resolve();
    expect(recorder.entries.at(-1)).toMatchObject({ type: 'request.completed', errorCode: 'incomplete' });
  });
});
