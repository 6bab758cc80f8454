import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { startDemoUpstream, type DemoUpstream } from '../../../control-plane/src/demo/index.ts';

let upstream: DemoUpstream | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

async function embeddings(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${upstream!.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { data: { embedding: number[] | string }[]; usage: { prompt_tokens: number }; error?: { code: string } } };
}

describe('demo upstream', () => {
  it('returns deterministic, L2-normalised vectors of the requested dimensions', async () => {
    upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    const a = await embeddings({ model: 'demo-embed', input: ['alpha beta gamma', 'alpha beta gamma'], dimensions: 64 });
    const [first, second] = a.json.data.map((d) => d.embedding as number[]);
    expect(first).toHaveLength(64);
    expect(first).toEqual(second);
    expect(Math.hypot(...(first as number[]))).toBeCloseTo(1, 5);
    expect(a.json.usage.prompt_tokens).toBe(6);
  });

  it('encodes base64 as little-endian float32 of the same vector', async () => {
    upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    const floats = await embeddings({ model: 'demo-embed', input: 'one two three' });
    const b64 = await embeddings({ model: 'demo-embed', input: 'one two three', encoding_format: 'base64' });
    const bytes = Buffer.from(b64.json.data[0]?.embedding as string, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toEqual((floats.json.data[0]?.embedding as number[]).map(Math.fround));
  });

  it('answers 401 in the OpenAI error shape without its API key, and serves with it', async () => {
    upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger(), apiKey: 'demo-key-123' });
    expect((await embeddings({ model: 'demo-embed', input: 'x' })).json.error?.code).toBe('invalid_api_key');
    expect((await embeddings({ model: 'demo-embed', input: 'x' }, { authorization: 'Bearer demo-key-123' })).status).toBe(200);
  });

  it('refuses unknown models and oversized dimensions', async () => {
    upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    expect((await embeddings({ model: 'nope', input: 'x' })).status).toBe(404);
    expect((await embeddings({ model: 'demo-embed', input: 'x', dimensions: 4096 })).status).toBe(400);
  });
});
