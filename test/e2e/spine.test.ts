import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.ts';
import { startDemoUpstream, type DemoUpstream, type ReceivedRequest } from '../../control-plane/src/demo/index.ts';
import { silentLogger } from '../../control-plane/src/log/index.ts';
import { toXdsSnapshot } from '../../control-plane/src/runtime/index.ts';
import { XdsSnapshot } from '../../control-plane/src/xds/index.ts';
import { requireEnvoy } from '../helpers/envoy.ts';
import { demoPolicyDocuments } from './demo-services.ts';
import { startStack, type Stack } from './harness.ts';

const run = promisify(execFile);

function decodeBase64Vector(value: string): Float32Array {
  const bytes = Buffer.from(value, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

describe('spine: openai client → Envoy → processor → demo upstream', () => {
  requireEnvoy();
  let stack: Stack;
  let token: string;
  beforeAll(async () => {
    stack = await startStack();
    token = await stack.token();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function post(body: string, headers: Record<string, string> = {}, method = 'POST', path = '/embeddings') {
    const res = await fetch(`${stack.baseURL}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: method === 'GET' ? undefined : body,
    });
    return { status: res.status, contentType: res.headers.get('content-type'), json: (await res.json()) as { error?: { code?: string; type?: string } } };
  }

  it('returns float embeddings for a string input', async () => {
    const result = await stack.openai(token).embeddings.create({ model: 'demo-embed', input: 'hello gateway', encoding_format: 'float' });
    expect(result.data).toHaveLength(1);
    expect(result.data[0]?.embedding).toHaveLength(384);
    expect(result.usage.prompt_tokens).toBe(2);
  });

  it('returns base64 embeddings for an array input, decoded by the client to the same vectors', async () => {
    const client = stack.openai(token);
    const floats = await client.embeddings.create({ model: 'demo-embed', input: ['one two', 'three'], encoding_format: 'float' });
    const raw = await fetch(`${stack.baseURL}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-embed', input: ['one two', 'three'], encoding_format: 'base64' }),
    });
    const base64 = (await raw.json()) as { data: { embedding: string }[] };
    expect(base64.data).toHaveLength(2);
    const decoded = decodeBase64Vector(base64.data[1]?.embedding as string);
    expect(Array.from(decoded)).toEqual(floats.data[1]?.embedding.map((v) => Math.fround(v)));
    // The openai client asks for base64 by default and decodes it itself.
    const viaClient = await client.embeddings.create({ model: 'demo-embed', input: ['one two', 'three'] });
    expect(viaClient.data[0]?.embedding).toHaveLength(384);
  });

  it('honours dimensions and token-id input', async () => {
    const result = await stack.openai(token).embeddings.create({ model: 'demo-embed', input: [[1, 2, 3]], dimensions: 16, encoding_format: 'float' });
    expect(result.data[0]?.embedding).toHaveLength(16);
  });

  it('closes every ext_proc stream gracefully: no resets for Node\'s rapid-reset guard to punish', async () => {
    const client = stack.openai(token);
    for (let i = 0; i < 20; i++) await client.embeddings.create({ model: 'demo-embed', input: `stream ${i}` });
    const stats = (await (await fetch(`${stack.envoy.adminUrl}/stats?filter=embguard_processor.upstream_rq_(total|tx_reset)$`)).text()).trim();
    const value = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(stats)?.[1]);
    expect(value('upstream_rq_total')).toBeGreaterThanOrEqual(20);
    expect(value('upstream_rq_tx_reset')).toBe(0);
  });

  it('lists models through the gateway', async () => {
    const models = await stack.openai(token).models.list();
    expect(models.data.map((m) => m.id)).toContain('demo-embed');
  });

  it.each([
    ['not JSON', '{"model":', {}, 'POST', '/embeddings', 400, 'invalid_json'],
    ['missing model', '{"input":"x"}', {}, 'POST', '/embeddings', 400, 'missing_model'],
    ['input of the wrong type', '{"model":"demo-embed","input":{"a":1}}', {}, 'POST', '/embeddings', 400, 'invalid_input'],
    ['empty input', '{"model":"demo-embed","input":[]}', {}, 'POST', '/embeddings', 400, 'empty_input'],
    ['wrong content type', '{"model":"demo-embed","input":"x"}', { 'content-type': 'text/plain' }, 'POST', '/embeddings', 415, 'invalid_content_type'],
    ['wrong method', '', {}, 'GET', '/embeddings', 405, 'method_not_allowed'],
    ['unknown path', '{}', {}, 'POST', '/completions', 404, 'not_found'],
    ['unknown model', '{"model":"gpt-4o","input":"x"}', {}, 'POST', '/embeddings', 404, 'unknown_model'],
  ])('refuses %s with a 4xx OpenAI error and sends nothing upstream', async (_, body, headers, method, path, status, code) => {
    const before = stack.received.length;
    const res = await post(body, headers, method, path);
    expect(res.status).toBe(status);
    expect(res.contentType).toContain('application/json');
    expect(res.json.error?.code).toBe(code);
    expect(stack.received.length).toBe(before);
  });

  it('refuses a body over the limit with 413 JSON and sends nothing upstream', async () => {
    const before = stack.received.length;
    const res = await post(JSON.stringify({ model: 'demo-embed', input: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.contentType).toContain('application/json');
    expect(res.json.error).toBeDefined();
    expect(stack.received.length).toBe(before);
  });

  it('pushes a changed upstream address without restarting Envoy; requests in flight complete', async () => {
    const seen: ReceivedRequest[] = [];
    const other: DemoUpstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger(), onRequest: (r) => seen.push(r) });
    try {
      const client = stack.openai(token);
      const pidBefore = stack.envoy.pid;
      const inFlight = Array.from({ length: 20 }, (_, i) => client.embeddings.create({ model: 'demo-embed', input: `request ${i}` }));
      const version = await stack.publish(demoPolicyDocuments(other.url, stack.issuer));
      const results = await Promise.allSettled(inFlight);
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      await client.embeddings.create({ model: 'demo-embed', input: 'after the change' });
      expect(seen.some((r) => r.body.includes('after the change'))).toBe(true);
      expect(stack.envoy.pid).toBe(pidBefore);
      const dump = JSON.stringify(await stack.envoy.configDump());
      expect(dump).toContain(`"version_info":"${version}"`);
    } finally {
      await stack.publish(demoPolicyDocuments(stack.upstream.url, stack.issuer));
      await other.close();
    }
  });

  it('records a NACK, keeps serving the last good config and does not resend the rejected version', async () => {
    const good = stack.app.active();
    if (!good) throw new Error('no active snapshot');
    const valid = toXdsSnapshot(good, { processor: { host: '127.0.0.1', port: stack.app.processor.port }, listener: { host: '127.0.0.1', port: Number(new URL(stack.baseURL).port) } });
    const badVersion = '99-badbadbadbad';
    const broken = XdsSnapshot.create({
      version: badVersion,
      clusters: valid.all('cluster').map((cluster, i) => (i === 0 ? { ...cluster, connect_timeout: { seconds: -1 } } : cluster)),
      endpoints: [],
      listeners: valid.all('listener'),
      routes: valid.all('route'),
    });
    const pushesBefore: string[] = [];
    const off = stack.app.onXdsEvent((event) => {
      if (event.kind === 'xds.push' && event.resourceKind === 'cluster') pushesBefore.push(event.version);
    });
    stack.app.xds.setSnapshot(broken);
    const deadline = Date.now() + 10_000;
    while (stack.app.xds.status().find((n) => n.nodeId === stack.envoyNodeId)?.rejectedVersion !== badVersion) {
      if (Date.now() > deadline) throw new Error('no NACK recorded');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    off();
    expect(pushesBefore.filter((v) => v === badVersion)).toHaveLength(1);
    const node = stack.app.xds.status().find((n) => n.nodeId === stack.envoyNodeId);
    expect(node?.error).toMatch(/Invalid duration/);
    const result = await stack.openai(token).embeddings.create({ model: 'demo-embed', input: 'still serving' });
    expect(result.data).toHaveLength(1);

    // A node on a rejected config makes `xds status` exit 3, for scripts and CI.
    const status = await run(process.execPath, [CLI, 'xds', 'status', '--json'], {
      env: { ...process.env, EMBGUARD_HOME: stack.home, EMBGUARD_API_PORT: String(stack.app.api.port) },
    }).then(
      () => {
        throw new Error('xds status exited 0 with a rejected node');
      },
      (err: { code: number; stdout: string }) => err,
    );
    expect(status.code).toBe(3);
    const doc = JSON.parse(status.stdout) as { nodes: { nodeId: string; rejectedVersion: string; error: string }[] };
    expect(doc.nodes.find((n) => n.nodeId === stack.envoyNodeId)).toMatchObject({ rejectedVersion: badVersion });
  });

  it('fails closed when the processor is down: 5xx JSON and nothing upstream', async () => {
    const before = stack.received.length;
    await stack.app.processor.close();
    const res = await post(JSON.stringify({ model: 'demo-embed', input: 'must not pass' }));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.contentType).toContain('application/json');
    expect(res.json.error).toBeDefined();
    expect(stack.received.length).toBe(before);
  });
});
