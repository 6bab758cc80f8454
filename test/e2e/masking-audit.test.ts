import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../control-plane/src/audit/index.ts';
import { CLI } from '../helpers/cli.ts';
import { requireEnvoy } from '../helpers/envoy.ts';
import { startStack, type Stack } from './harness.ts';

const run = promisify(execFile);

/** PII canaries: unusual enough that finding them anywhere on disk means they leaked. */
const CANARY_EMAIL = 'canary.q7x3v9@leak-test.example';
const CANARY_CARD = '4539 1488 0343 6467';
const CANARY_SECRET = 'ghp_Zq8v0T3nKc4Lr7Wm2Xy5Bd9Fh1Jk6Pq0Ss4u';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('masking and audit through Envoy', () => {
  requireEnvoy();
  let stack: Stack;
  let token: string;
  beforeAll(async () => {
    stack = await startStack();
    token = await stack.token('bob', ['engineering']);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('sends only masked text upstream: tokenized email, redacted card', async () => {
    const client = stack.openai(token);
    const before = stack.received.length;
    for (let i = 0; i < 5; i++) {
      await client.embeddings.create({ model: 'demo-embed', input: [`Mail ${CANARY_EMAIL} today`, `Card ${CANARY_CARD} on file`] });
    }
    const sent = stack.received.slice(before).map((r) => r.body);
    expect(sent).toHaveLength(5);
    for (const body of sent) {
      expect(body).not.toContain(CANARY_EMAIL);
      expect(body).not.toContain(CANARY_CARD);
      expect(body).not.toContain(CANARY_CARD.replaceAll(' ', ''));
      expect(body).toMatch(/<EMAIL_ADDRESS_[0-9A-Z]{10,}>/);
    }
    // Tokenization is deterministic: the same email gives the same token in every request.
    const tokens = new Set(sent.map((b) => /<EMAIL_ADDRESS_[0-9A-Z]+>/.exec(b)?.[0]));
    expect(tokens.size).toBe(1);
  });

  it('blocks a secret with a 4xx naming type and rule, and forwards nothing', async () => {
    const before = stack.received.length;
    const res = await fetch(`${stack.baseURL}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-embed', input: `deploy with ${CANARY_SECRET}` }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error).toMatchObject({ code: 'blocked_content' });
    expect(text).toContain('GITHUB_TOKEN');
    expect(text).not.toContain(CANARY_SECRET);
    expect(stack.received.length).toBe(before);
  });

  it('refuses a caller whose groups no rule allows with 403', async () => {
    const guest = stack.openai(await stack.token('gus', ['guests']));
    await expect(guest.embeddings.create({ model: 'demo-embed', input: 'hello' })).rejects.toMatchObject({ status: 403 });
  });

  it('records who called from where and what the upstream answered', async () => {
    const size = await stack.app.audit.store.size();
    await stack.openai(token).embeddings.create({ model: 'demo-embed', input: ['first', 'second'] });
    // request.completed is recorded after the answer is on its way back.
    await expect.poll(async () => (await stack.app.audit.store.readEntries(size, size + 10)).length).toBeGreaterThanOrEqual(2);
    const events = (await stack.app.audit.store.readEntries(size, size + 10)).map((e) => JSON.parse(e.leaf) as AuditEvent);
    const received = events.find((e) => e.type === 'request.received');
    const completed = events.find((e) => e.type === 'request.completed');
    expect(received?.actor).toMatchObject({ subject: 'bob', sourceAddress: expect.stringMatching(/^127\.0\.0\.1(:\d+)?$/) });
    expect(completed?.upstream).toMatchObject({ status: 200, response: { count: 2, dimensions: 384 } });
  });

  it('leaves no canary anywhere under EMBGUARD_HOME (audit store, logs, run files), and the log verifies', async () => {
    await stack.app.audit.tick();
    const leaks = filesUnder(stack.home).filter((file) => {
      const content = fs.readFileSync(file);
      return [CANARY_EMAIL, CANARY_CARD, CANARY_CARD.replaceAll(' ', ''), CANARY_SECRET].some((canary) => content.includes(canary));
    });
    expect(leaks).toEqual([]);
    const verify = await run(process.execPath, [CLI, 'audit', 'verify'], {
      env: { ...process.env, EMBGUARD_HOME: stack.home },
    });
    expect(verify.stdout).toMatch(/(\d+)\/\1 entries valid/);
  });
});
