import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, generateKeyPair, importJWK, SignJWT, type JWTPayload } from 'jose';
import {
  buildJwtAuthn,
  jwtAuthnLocalReplyMapper,
  loadOrCreateDemoIssuerKeys,
  startDemoIssuer,
  type DemoIssuer,
} from '../../../control-plane/src/identity/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { writeStaticBootstrap } from './static-envoy.ts';
import { requireEnvoy, startEnvoy, type EnvoyProcess } from '../../helpers/envoy.ts';

/**
 * Every token attack the issue lists, sent through a real Envoy whose only filter before a
 * `direct_response` is the jwt_authn config our builder produced. Attack tokens are signed here.
 */
describe.each([
  { withMapper: true, label: 'with jwtAuthnLocalReplyMapper: every refusal is a JSON 401' },
  { withMapper: false, label: 'raw Envoy: wrong audience is 403 text/plain' },
])('jwt_authn in real Envoy rejects bad tokens ($label)', ({ withMapper }) => {
  requireEnvoy();
  const tmp = makeTempDir();
  let issuer: DemoIssuer;
  let envoy: EnvoyProcess | undefined;
  let listener: number;
  let signingKey: CryptoKey | Uint8Array;
  let kid: string;
  let echo: http.Server;
  const seenByUpstream: http.IncomingHttpHeaders[] = [];

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (overrides: JWTPayload = {}): JWTPayload => ({
    iss: issuer.issuer,
    aud: issuer.audience,
    sub: 'alice',
    groups: ['ml-engineers'],
    iat: now(),
    nbf: now(),
    exp: now() + 300,
    ...overrides,
  });
  const sign = (payload: JWTPayload, key: CryptoKey | Uint8Array = signingKey, keyId = kid) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: keyId, typ: 'at+jwt' }).sign(key);
  const call = (headers: Record<string, string> = {}, pathAndQuery = '/v1/embeddings') =>
    fetch(`http://127.0.0.1:${listener}${pathAndQuery}`, { method: 'POST', headers, body: '{}' });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    issuer = await startDemoIssuer({ port: await freePort(), keyDir: tmp.dir, logger: silentLogger() });
    const keys = await loadOrCreateDemoIssuerKeys(tmp.dir);
    signingKey = (await importJWK(keys.signingKey, 'ES256')) as CryptoKey;
    kid = keys.signingKey.kid;
    echo = http.createServer((req, res) => {
      seenByUpstream.push(req.headers);
      res.end('upstream');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    listener = await freePort();
    const admin = await freePort();
    const jwt = buildJwtAuthn([
      { name: 'demo', issuer: issuer.issuer, audiences: [issuer.audience], jwks: { uri: issuer.jwksUri } },
    ]);
    envoy = await startEnvoy({
      bootstrap: writeStaticBootstrap(
        tmp.dir,
        jwt,
        { listener, admin, echoUpstream: (echo.address() as AddressInfo).port },
        withMapper ? { localReplyMappers: [jwtAuthnLocalReplyMapper()] } : {},
      ),
    });
  }, 30_000);

  afterAll(async () => {
    await envoy?.stop();
    await issuer?.close();
    await new Promise((resolve) => echo?.close(resolve));
    tmp.cleanup();
  });

  it('passes a good token from the issuer', async () => {
    const response = await call(bearer(await issuer.mintToken({ sub: 'alice', groups: ['ml-engineers'] })));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('passed');
  });

  it('strips the token before the upstream and leaves the verified claims in jwt_authn metadata', async () => {
    const token = await issuer.mintToken({ sub: 'alice', groups: ['ml-engineers'] });
    const response = await call(bearer(token), '/echo');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('upstream');
    const headers = seenByUpstream.at(-1);
    expect(headers?.authorization).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain(token.split('.')[2]);
    expect(headers?.['x-verified-sub']).toBe('alice');
  });

  it('passes a token we sign with the issuer key (the attack harness itself is sound)', async () => {
    expect((await call(bearer(await sign(claims())))).status).toBe(200);
  });

  // The verified-token cache is on by default: it may skip the signature check only for the exact
  // token it verified, never for a copy of it with another signature.
  it('serves a verified token from the cache, and not a copy with another signature', async () => {
    const cacheHits = async () => {
      const { text } = await envoy!.admin('/stats?filter=jwt_authn\\.jwt_cache_hit$');
      return Number(/: (\d+)/.exec(text)?.[1]);
    };
    const token = await sign(claims());
    expect((await call(bearer(token))).status).toBe(200);
    const hitsBefore = await cacheHits();
    expect((await call(bearer(token))).status).toBe(200);
    expect(await cacheHits()).toBe(hitsBefore + 1);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // A character in the middle: the last one also holds padding bits a decoder may ignore.
    const forged = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expect((await call(bearer(`${header}.${payload}.${forged}`))).status).toBe(401);
  });

  const cases: [string, () => Promise<Record<string, string>>, number][] = [
    ['missing token', async () => ({}), 401],
    ['malformed token', async () => bearer('not.a.jwt'), 401],
    ['expired token (beyond the 60 s skew)', async () => bearer(await sign(claims({ exp: now() - 120, iat: now() - 600, nbf: now() - 600 }))), 401],
    ['not-yet-valid token', async () => bearer(await sign(claims({ nbf: now() + 600 }))), 401],
    ['token without exp', async () => bearer(await sign(claims({ exp: undefined }))), 401],
    ['wrong issuer', async () => bearer(await sign(claims({ iss: 'http://evil.example' }))), 401],
    // Envoy answers JwtAudienceNotAllowed with 403 unless the local reply mapper makes it 401.
    ['wrong audience', async () => bearer(await sign(claims({ aud: 'someone-else' }))), 403],
    [
      'unknown key',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return bearer(await sign(claims(), privateKey, 'attacker-key'));
      },
      401,
    ],
    [
      'right kid, attacker key',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return bearer(await sign(claims(), privateKey));
      },
      401,
    ],
    [
      'alg none',
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
        const payload = base64url.encode(JSON.stringify(claims()));
        return bearer(`${header}.${payload}.`);
      },
      401,
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const keys = await loadOrCreateDemoIssuerKeys(tmp.dir);
        const { d: _private, ...publicJwk } = keys.signingKey;
        const publicPem = crypto.createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid, typ: 'JWT' }));
        const payload = base64url.encode(JSON.stringify(claims()));
        const mac = crypto.createHmac('sha256', publicPem).update(`${header}.${payload}`).digest();
        return bearer(`${header}.${payload}.${base64url.encode(mac)}`);
      },
      401,
    ],
    [
      'tampered payload',
      async () => {
        const [header, , signature] = (await sign(claims())).split('.');
        const payload = base64url.encode(JSON.stringify(claims({ sub: 'admin', groups: ['admins'] })));
        return bearer(`${header}.${payload}.${signature}`);
      },
      401,
    ],
    ['token in the query string only', async () => ({ 'x-query': '1' }), 401],
  ];

  it.each(cases)('rejects %s', async (name, headers, rawStatus) => {
    const query = name.includes('query string') ? `?access_token=${await sign(claims())}` : '';
    const response = await call(await headers(), `/v1/embeddings${query}`);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    if (withMapper) {
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ error: { code: 'unauthenticated', type: 'authentication_error' } });
    } else {
      expect(response.status).toBe(rawStatus);
    }
  });
});
