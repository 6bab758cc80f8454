import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireEnvoy } from '../helpers/envoy.ts';
import { startStack, type Stack } from './harness.ts';

describe('identity and just-in-time access through Envoy', () => {
  requireEnvoy();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function api(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`http://127.0.0.1:${stack.app.api.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { id?: string; state?: string; error?: { code: string } } };
  }

  async function embed(token: string): Promise<number> {
    const res = await fetch(`${stack.baseURL}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-embed', input: 'jit check' }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('rejects a missing or forged token at Envoy with 401 before the processor runs', async () => {
    const before = stack.received.length;
    expect(await embed('')).toBe(401);
    const [header, payload] = (await stack.token('mallory', ['security'])).split('.');
    expect(await embed(`${header}.${payload}.AAAA`)).toBe(401);
    expect(stack.received.length).toBe(before);
  });

  it('lets a guest in only while an approved grant is active, to the second, and records every step', async () => {
    const guest = await stack.token('gail', ['guests']);
    const approver = await stack.token('sam', ['security']);
    expect(await embed(guest)).toBe(403);

    const requested = await api('POST', '/v1/access/requests', guest, { model: 'demo-embed', duration: '3s', reason: 'incident 42' });
    expect(requested.status).toBe(201);
    const id = requested.json.id as string;
    expect((await api('POST', `/v1/access/requests/${id}/approve`, guest)).status).toBe(403);
    expect(await embed(guest)).toBe(403);

    const approved = await api('POST', `/v1/access/requests/${id}/approve`, approver);
    expect(approved.json.state).toBe('active');
    const activeAt = Date.now();
    expect(await embed(guest)).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, activeAt + 3200 - Date.now())));
    expect(await embed(guest)).toBe(403);

    const store = stack.app.audit.store;
    const entries = await store.readEntries(0, await store.size());
    const types = new Set(entries.map((entry) => entry.type));
    // Every access step names the policy snapshot in force (architecture invariant 3).
    const accessEvents = entries.filter((entry) => entry.type.startsWith('access.')).map((entry) => JSON.parse(entry.leaf) as { policy?: { seq: number } });
    expect(accessEvents.every((event) => typeof event.policy?.seq === 'number')).toBe(true);
    for (const type of ['access.requested', 'access.approved', 'access.granted', 'access.activated', 'access.expired']) expect(types).toContain(type);
  });

  it('revocation takes effect on the next request', async () => {
    const guest = await stack.token('gwen', ['guests']);
    const approver = await stack.token('sam', ['security']);
    const { json } = await api('POST', '/v1/access/requests', guest, { model: 'demo-embed', duration: '5m', reason: 'analysis' });
    await api('POST', `/v1/access/requests/${json.id}/approve`, approver);
    expect(await embed(guest)).toBe(200);
    expect((await api('POST', `/v1/access/grants/${json.id}/revoke`, approver)).json.state).toBe('revoked');
    expect(await embed(guest)).toBe(403);
  });
});
