import net from 'node:net';
import path from 'node:path';
import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDemoIssuerKeys } from '../../../control-plane/src/identity/index.ts';
import { filesContaining } from '../process-stack.ts';
import { CANARIES, CANARY_CARD_DIGITS, CANARY_EMAIL, expectAuditVerifies, expectOpenAIError, useProcessStack } from './shared.ts';

/** Zero-width characters and full-width digits: what the masking normaliser must see through. */
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/gu;
const FULL_WIDTH_CARD = CANARY_CARD_DIGITS.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
const ZERO_WIDTH_CARD = CANARY_CARD_DIGITS.split('').join('\u200b');
const ZERO_WIDTH_EMAIL = CANARY_EMAIL.replace('@', '\u200d@\u200d');

/** What a reader of the upstream body would see once invisible characters are dropped and width folded. */
const folded = (text: string): string => text.normalize('NFKC').replace(ZERO_WIDTH, '');

/** Sends raw bytes on a fresh connection; resolves with what came back before close (or 3 s). */
function rawExchange(port: number, payload: Buffer | string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const finish = () => resolve({ text, closed });
    const timer = setTimeout(() => (socket.destroy(), finish()), 3000);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      finish();
    });
    socket.on('error', () => undefined);
    socket.write(payload);
  });
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

describe('abuse: hostile input corpus', () => {
  const s = useProcessStack();
  let token = '';
  beforeAll(async () => {
    token = await s().token('bob', ['engineering']);
  });

  /** Expects a 4xx OpenAI-shaped error and that nothing reached the upstream. */
  async function expectRefused(body: string, headers: Record<string, string>, statuses: readonly number[]): Promise<string> {
    const before = s().received.length;
    const res = await fetch(`${s().gatewayUrl}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    expect(statuses, `${res.status} ${text.slice(0, 300)}`).toContain(res.status);
    const { code } = expectOpenAIError(text);
    for (const canary of CANARIES) expect(text).not.toContain(canary);
    expect(s().received.length).toBe(before);
    return code;
  }

  it.each([
    ['truncated JSON', `{"model":"demo-embed","input":"mail ${CANARY_EMAIL}"`],
    ['trailing garbage', `{"model":"demo-embed","input":"x"} {"a":1}`],
    ['not an object', `["demo-embed","mail ${CANARY_EMAIL}"]`],
    ['deeply nested input', `{"model":"demo-embed","input":${'['.repeat(50_000)}${']'.repeat(50_000)}}`],
    ['deeply nested unknown field', `{"model":"demo-embed","input":"x","extra":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`],
    ['a number too large for a double', `{"model":"demo-embed","input":[[1e999999]]}`],
    ['token ids beyond any vocabulary', `{"model":"demo-embed","input":[[99999999999999999999999]]}`],
    ['input of the wrong type', `{"model":"demo-embed","input":{"text":"mail ${CANARY_EMAIL}"}}`],
    ['model of the wrong type', `{"model":["demo-embed"],"input":"x"}`],
    ['empty body', ''],
  ])('malformed JSON — %s — is a 400 and reaches nothing', async (_name, body) => {
    await expectRefused(body, {}, [400, 413]);
  });

  it('duplicate keys cannot smuggle an unmasked value past the scanner', async () => {
    const body = `{"model":"demo-embed","input":"harmless text","input":"mail ${CANARY_EMAIL} now","model":"demo-embed"}`;
    const before = s().received.length;
    const res = await s().embed(token, body);
    // Either refused outright, or the value that is forwarded is the one that was scanned and masked.
    if (res.status === 200) {
      for (const r of s().received.slice(before)) for (const canary of CANARIES) expect(r.body).not.toContain(canary);
    } else {
      expect(res.status).toBe(400);
      expectOpenAIError(res.text);
    }
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form encoding', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', ''],
  ])('wrong content type (%s) is a 4xx', async (_name, contentType) => {
    await expectRefused(JSON.stringify({ model: 'demo-embed', input: `mail ${CANARY_EMAIL}` }), { 'content-type': contentType }, [400, 415]);
  });

  it('an oversized body is a 413, an oversized batch a 400', async () => {
    await expectRefused(JSON.stringify({ model: 'demo-embed', input: 'a'.repeat(2 * 1024 * 1024) }), {}, [413]);
    await expectRefused(JSON.stringify({ model: 'demo-embed', input: Array.from({ length: 300 }, (_, i) => `row ${i}`) }), {}, [400]);
  });

  it('invalid UTF-8 is refused or forwarded only as masked valid text', async () => {
    const body = Buffer.concat([Buffer.from(`{"model":"demo-embed","input":"mail ${CANARY_EMAIL} `), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    const before = s().received.length;
    const res = await fetch(`${s().gatewayUrl}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (res.status === 200) {
      for (const r of s().received.slice(before)) expect(r.body).not.toContain(CANARY_EMAIL);
    } else {
      expect(res.status, text).toBe(400);
      expectOpenAIError(text);
      expect(s().received.length).toBe(before);
    }
  });

  it.each([
    ['full-width card digits', `card ${FULL_WIDTH_CARD} on file`],
    ['zero-width spaces between card digits', `card ${ZERO_WIDTH_CARD} on file`],
    ['zero-width joiners around the @ of an email', `mail ${ZERO_WIDTH_EMAIL} today`],
  ])('Unicode evasion of masking (%s) does not get the value upstream', async (_name, input) => {
    const before = s().received.length;
    const res = await s().embed(token, { model: 'demo-embed', input });
    expect([200, 400], res.text).toContain(res.status);
    for (const r of s().received.slice(before)) {
      expect(folded(r.body)).not.toContain(CANARY_CARD_DIGITS);
      expect(folded(r.body)).not.toContain(CANARY_EMAIL);
    }
  });

  it('identity cannot be injected by headers: a guest stays a guest', async () => {
    const guest = await s().token('gus', ['guests']);
    const before = s().received.length;
    const res = await fetch(`${s().gatewayUrl}/v1/embeddings`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${guest}`,
        'content-type': 'application/json',
        'x-embguard-demo-sub': 'alice',
        'x-jwt-payload': Buffer.from(JSON.stringify({ sub: 'alice', groups: ['ml-engineers'] })).toString('base64url'),
        'x-forwarded-user': 'alice',
        'x-envoy-original-path': '/v1/models',
      },
      body: JSON.stringify({ model: 'demo-embed', input: 'hello' }),
    });
    expect(res.status).toBe(403);
    expectOpenAIError(await res.text());
    expect(s().received.length).toBe(before);
  });

  it.each([
    ['NUL in a header value', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\nx-note: a\0b\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`],
    ['CL and TE together', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\ntransfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
    ['two different Content-Lengths', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\ncontent-length: 5\r\n\r\n${body}`],
    ['obfuscated Transfer-Encoding (space before colon)', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-type: application/json\r\ntransfer-encoding : chunked\r\ncontent-length: ${body.length}\r\n\r\n${body}`],
    ['obfuscated Transfer-Encoding (xchunked)', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-type: application/json\r\ntransfer-encoding: xchunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
    ['chunked with a bad chunk size', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`],
    ['a smuggled second request behind CL+TE', (body: string) => `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nPOST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`],
  ])('HTTP smuggling / header injection (%s) gets a 4xx or a closed connection, never a forward', async (_name, build) => {
    const body = JSON.stringify({ model: 'demo-embed', input: `mail ${CANARY_EMAIL}` });
    const before = s().received.length;
    const raw = build(body).replace('Bearer T', `Bearer ${token}`);
    const reply = await rawExchange(s().ports.listener, Buffer.from(raw, 'latin1'));
    const status = statusOf(reply.text);
    // Envoy's codec refuses these; with ext_proc on the listener it may close without a reply.
    if (status === 0) expect(reply.text).toBe('');
    else expect(status >= 400 && status < 500, reply.text.slice(0, 200)).toBe(true);
    expect(reply.closed).toBe(true);
    expect(s().received.length).toBe(before);
  });

  it('a bare CR in a header value cannot inject a header upstream', async () => {
    const body = JSON.stringify({ model: 'demo-embed', input: 'hello' });
    const before = s().received.length;
    const raw = `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\nx-note: a\rx-injected: 1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
    const reply = await rawExchange(s().ports.listener, Buffer.from(raw, 'latin1'));
    expect([200, 400]).toContain(statusOf(reply.text));
    for (const r of s().received.slice(before)) expect(r.headers['x-injected']).toBeUndefined();
  });

  it('token attacks are all 401: none, alg=none, foreign key, expired, wrong audience, wrong issuer, garbage, token in the query', async () => {
    const keys = await loadOrCreateDemoIssuerKeys(path.join(s().home, 'issuer'));
    const issuerKey = await importJWK(keys.signingKey as JWK, 'ES256');
    const foreign = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'mallory', groups: ['ml-engineers'] };
    const sign = (key: CryptoKey | Uint8Array, overrides: { aud?: string; iss?: string; exp?: number; kid?: string } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: overrides.kid ?? keys.signingKey.kid })
        .setIssuer(overrides.iss ?? s().issuer.issuer)
        .setAudience(overrides.aud ?? s().issuer.audience)
        .setIssuedAt(now - 7200)
        .setExpirationTime(overrides.exp ?? now + 600)
        .sign(key);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: s().issuer.issuer, aud: s().issuer.audience, exp: now + 600 })}.`;
    const valid = await sign(issuerKey);
    const [h, p] = valid.split('.');
    const attacks: [string, Record<string, string>, string][] = [
      ['no token', {}, ''],
      ['alg none', { authorization: `Bearer ${unsigned}` }, ''],
      ['foreign key, same kid', { authorization: `Bearer ${await sign(foreign.privateKey)}` }, ''],
      ['expired', { authorization: `Bearer ${await sign(issuerKey, { exp: now - 3600 })}` }, ''],
      ['wrong audience', { authorization: `Bearer ${await sign(issuerKey, { aud: 'some-other-api' })}` }, ''],
      ['wrong issuer', { authorization: `Bearer ${await sign(issuerKey, { iss: 'https://evil.example' })}` }, ''],
      ['signature of another token', { authorization: `Bearer ${h}.${b64({ ...claims, sub: 'alice' })}.${valid.split('.')[2]}` }, ''],
      ['garbage', { authorization: 'Bearer not.a.jwt' }, ''],
      ['basic auth', { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }, ''],
      ['token in the query string', {}, `?access_token=${valid}`],
    ];
    expect(p).toBeDefined();
    for (const [name, headers, query] of attacks) {
      const before = s().received.length;
      const res = await fetch(`${s().gatewayUrl}/v1/embeddings${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'demo-embed', input: `mail ${CANARY_EMAIL}` }),
      });
      const text = await res.text();
      expect(res.status, `${name}: ${text.slice(0, 200)}`).toBe(401);
      expectOpenAIError(text);
      expect(s().received.length, name).toBe(before);
    }
    // A correctly made token works: the refusals above were about the attacks, not the setup.
    expect((await s().embed(valid, { model: 'demo-embed', input: 'hello' })).status).toBe(200);
  });

  it('a request that needs approval stays refused whatever approval ticket a client claims', async () => {
    const analyst = await s().token('dana', ['data-science']);
    const body = { model: 'demo-embed-large', input: 'customer account CUST-12345678 asked about churn' };
    const first = await s().embed(analyst, body);
    expect(first.status, first.text).toBe(403);
    expect(expectOpenAIError(first.text).code).toBe('approval_required');
    const before = s().received.length;
    const forged = ['apr_0000000000000000', first.headers.get('x-request-id') ?? 'replayed-request-id', 'approved'];
    for (const ticket of forged) {
      for (const header of ['x-embguard-approval', 'x-embguard-approval-ticket', 'x-approval-ticket']) {
        const res = await s().embed(analyst, body, { [header]: ticket });
        expect(res.status, `${header}: ${res.text}`).toBe(403);
      }
    }
    expect(s().received.length).toBe(before);
  });

  it('after the whole corpus: every process is alive, no canary leaked anywhere, the log verifies', async () => {
    for (const role of ['processor', 'control-plane'] as const) {
      const pid = s().role(role)?.pid as number;
      expect(() => process.kill(pid, 0), role).not.toThrow();
    }
    expect(() => process.kill(s().envoy.pid, 0)).not.toThrow();
    expect((await s().embed(token, { model: 'demo-embed', input: 'still serving' })).status).toBe(200);
    for (const r of s().received) for (const canary of CANARIES) expect(r.body).not.toContain(canary);
    expect(filesContaining(s().home, [...CANARIES, FULL_WIDTH_CARD, ZERO_WIDTH_CARD, ZERO_WIDTH_EMAIL])).toEqual([]);
    await expectAuditVerifies(s());
  });
});
