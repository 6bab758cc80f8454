import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJWK, SignJWT } from 'jose';
import { startApiServer, type ApiServer } from '../../../control-plane/src/api/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { accessApiRoutes, GrantStore, JitAccess, type AccessEvent } from '../../../control-plane/src/access/index.ts';
import {
  createBearerVerifier,
  loadOrCreateDemoIssuerKeys,
  startDemoIssuer,
  type DemoIssuer,
} from '../../../control-plane/src/identity/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

describe('access API over HTTP with OIDC bearer tokens', () => {
  const tmp = makeTempDir();
  let issuer: DemoIssuer;
  let api: ApiServer;
  let store: GrantStore;
  const events: AccessEvent[] = [];
  // Tokens carry real time; the fake clock starts now so verification and grants agree.
  const clock = new FakeClock(Date.now());
  const tokens: Record<string, string> = {};

  const call = async (method: string, urlPath: string, token?: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${api.port}${urlPath}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    issuer = await startDemoIssuer({ port: 0, keyDir: path.join(tmp.dir, 'keys'), logger: silentLogger() });
    store = GrantStore.open(path.join(tmp.dir, 'grants.sqlite'));
    const jit = new JitAccess({
      store,
      clock,
      settings: { approverGroups: ['security'], quorum: 1, maxDurationMs: 3_600_000 },
      onEvent: (event) => events.push(event),
    });
    const verify = createBearerVerifier({
      providers: [{ name: 'demo', issuer: issuer.issuer, audiences: [issuer.audience], jwks: { uri: issuer.jwksUri } }],
      clock,
    });
    api = await startApiServer({ host: '127.0.0.1', port: 0, routes: accessApiRoutes({ jit, verify }), logger: silentLogger() });
    tokens.dave = await issuer.mintToken({ sub: 'dave', groups: ['guests'] });
    tokens.erin = await issuer.mintToken({ sub: 'erin', groups: ['security'] });
  });
  afterAll(async () => {
    await api.close();
    await issuer.close();
    store.close();
    tmp.cleanup();
  });

  it('runs request → approve → list → revoke, naming each actor from their token', async () => {
    const created = await call('POST', '/v1/access/requests', tokens.dave, { model: 'demo-large', duration: '5m', reason: 'incident' });
    expect(created).toMatchObject({ status: 201, body: { state: 'pending', subject: 'dave', durationSeconds: 300 } });
    const id = created.body.id as string;

    const self = await call('POST', `/v1/access/requests/${id}/approve`, tokens.dave);
    expect(self).toMatchObject({ status: 403, body: { error: { code: 'access_request_forbidden' } } });

    const approved = await call('POST', `/v1/access/requests/${id}/approve`, tokens.erin);
    expect(approved).toMatchObject({ status: 200, body: { state: 'active', approvals: [{ approver: 'erin' }] } });

    const active = await call('GET', '/v1/access/grants?state=active', tokens.dave);
    expect(active.body.data.map((g: { id: string }) => g.id)).toEqual([id]);

    expect(await call('POST', `/v1/access/grants/${id}/revoke`, tokens.erin)).toMatchObject({ status: 200, body: { state: 'revoked' } });
    expect(events.map((e) => `${e.type}:${e.actor}`)).toEqual([
      'access.requested:dave',
      'access.approved:erin',
      'access.granted:erin',
      'access.activated:system',
      'access.revoked:erin',
    ]);
  });

  it('answers 401 without a valid token, including HS256 tokens keyed with the public key and wrong audiences', async () => {
    expect((await call('GET', '/v1/access/grants')).status).toBe(401);
    expect((await call('GET', '/v1/access/grants', 'a.b.c')).status).toBe(401);
    const keys = await loadOrCreateDemoIssuerKeys(path.join(tmp.dir, 'keys'));
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'erin', groups: ['security'], exp: now + 60 };
    const { d: _private, ...publicJwk } = keys.signingKey;
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: keys.signingKey.kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect((await call('GET', '/v1/access/grants', hs)).status).toBe(401);
    const signingKey = await importJWK(keys.signingKey, 'ES256');
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: keys.signingKey.kid }).sign(signingKey);
    expect((await call('GET', '/v1/access/grants', await sign({ ...claims, aud: 'other' }))).status).toBe(401);
    expect((await call('GET', '/v1/access/grants', await sign({ ...claims, exp: undefined }))).status).toBe(401);
    expect((await call('GET', '/v1/access/grants', await sign(claims))).status).toBe(200);
  });

  it('rejects a malformed request body with a 400 that says what is wrong', async () => {
    const response = await call('POST', '/v1/access/requests', tokens.dave, { model: 'demo-large', duration: 'forever', reason: 'x' });
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'access_request_invalid' } } });
    expect(response.body.error.message).toContain('duration');
  });
});
