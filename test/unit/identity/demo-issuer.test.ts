import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDemoIssuer, type DemoIssuer } from '../../../control-plane/src/identity/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

describe('demo OIDC issuer (oidc-provider)', () => {
  const tmp = makeTempDir();
  let issuer: DemoIssuer;

  beforeAll(async () => {
    issuer = await startDemoIssuer({ port: 0, keyDir: tmp.dir, logger: silentLogger() });
  });
  afterAll(async () => {
    await issuer.close();
    tmp.cleanup();
  });

  it('issues a client-credentials JWT that jose verifies against the JWKS', async () => {
    const token = await issuer.mintToken({ sub: 'alice', groups: ['ml-engineers'], ttl: 120 });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
      issuer: issuer.issuer,
      audience: issuer.audience,
    });
    expect(payload).toMatchObject({ sub: 'alice', groups: ['ml-engineers'], client_id: 'embguard-demo' });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.nbf).toBe(payload.iat);
  });

  it('keeps its signing key across restarts so earlier tokens stay valid', async () => {
    const token = await issuer.mintToken({ sub: 'bob', groups: [], clientId: 'ci-job' });
    const restarted = await startDemoIssuer({ port: 0, keyDir: tmp.dir, logger: silentLogger(), issuer: issuer.issuer });
    try {
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`http://127.0.0.1:${restarted.port}/jwks`)), {
        issuer: issuer.issuer,
        audience: issuer.audience,
      });
      expect(payload).toMatchObject({ sub: 'bob', client_id: 'ci-job' });
    } finally {
      await restarted.close();
    }
  });

  it('refuses a token request without the demo client secret', async () => {
    const response = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-embguard-demo-sub': 'mallory' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'embguard-demo', client_secret: 'guess' }),
    });
    expect(response.status).toBe(401);
  });
});
