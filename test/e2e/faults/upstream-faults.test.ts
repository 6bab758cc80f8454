import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireEnvoy, waitUntil } from '../../helpers/envoy.ts';
import { startProcessStack, type ProcessStack } from '../process-stack.ts';
import { CANARIES, expectAuditVerifies, expectOpenAIError, piiRequest, printLogsOnFailure } from './shared.ts';

type Mode = 'ok' | 'slow' | 'reset';

/** An upstream a test steers: answers, answers too late, or drops the connection; can also be shut. */
async function startSteerableUpstream(): Promise<{ url: string; set(mode: Mode): void; bodies: string[]; close(): Promise<void> }> {
  let mode: Mode = 'ok';
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      if (mode === 'reset') return req.socket.destroy();
      const reply = () => {
        if (res.destroyed) return;
        const json = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model: 'demo-embed', usage: { prompt_tokens: 1, total_tokens: 1 } });
        res.writeHead(200, { 'content-type': 'application/json' }).end(json);
      };
      if (mode === 'slow') setTimeout(reply, 3000);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (next) => (mode = next),
    bodies,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('fault: upstream down or slow', () => {
  requireEnvoy();
  let stack: ProcessStack | undefined;
  let upstream: Awaited<ReturnType<typeof startSteerableUpstream>>;
  printLogsOnFailure(() => stack);
  beforeAll(async () => {
    upstream = await startSteerableUpstream();
    stack = await startProcessStack({ upstreamUrl: upstream.url, upstreamTimeoutMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  /** Sends one request and returns its answer plus the audit records it added. */
  async function exchange(n: number) {
    const s = stack as ProcessStack;
    const token = await s.token('bob', ['engineering']);
    const before = (await s.auditRecords()).length;
    const started = Date.now();
    const res = await s.embed(token, piiRequest(n));
    const elapsedMs = Date.now() - started;
    // request.completed is recorded after the answer, with the next commit: waited for, so a late
    // one cannot land among the next exchange's records.
    const added = await waitUntil(
      async () => {
        const records = (await s.auditRecords()).slice(before);
        return records.some((record) => record.type === 'request.completed') ? records : undefined;
      },
      10_000,
      `the completion record of exchange ${n}`,
    );
    return { ...res, elapsedMs, added };
  }

  it('answers normally while the upstream is healthy', async () => {
    upstream.set('ok');
    const r = await exchange(1);
    expect(r.status).toBe(200);
    expect(r.added.map((a) => a.type)).toContain('request.completed');
  });

  it('a slow upstream gets a clean 504 JSON error within the route timeout, recorded', async () => {
    upstream.set('slow');
    const r = await exchange(2);
    expect(r.status).toBe(504);
    expect(expectOpenAIError(r.text).code).toBe('upstream_timeout');
    expect(r.elapsedMs).toBeLessThan(2500);
    expect(r.added.find((a) => a.type === 'request.received')).toBeDefined();
    expect(r.added.find((a) => a.type === 'request.completed')?.event.upstream?.status).toBe(504);
  });

  it('a connection reset gets a clean 5xx JSON error, recorded', async () => {
    upstream.set('reset');
    const r = await exchange(3);
    expect([502, 503]).toContain(r.status);
    expectOpenAIError(r.text);
    expect(r.added.find((a) => a.type === 'request.completed')?.event.upstream?.status).toBe(r.status);
  });

  it('an upstream that is down gets a clean 5xx JSON error, recorded; nothing unmasked ever reached it', async () => {
    await upstream.close();
    const r = await exchange(4);
    expect([502, 503]).toContain(r.status);
    expectOpenAIError(r.text);
    expect(r.added.find((a) => a.type === 'request.completed')?.event.upstream?.status).toBe(r.status);
    for (const body of upstream.bodies) for (const canary of CANARIES) expect(body).not.toContain(canary);
    await expectAuditVerifies(stack as ProcessStack);
  });
});
