import { afterAll, describe, expect, it } from 'vitest';
import {
  buildJwtAuthn,
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  IdentityConfigError,
  MAX_VERIFIED_TOKEN_CACHE_SIZE,
  jwksClusterName,
  type IdentityProviderSettings,
} from '../../../control-plane/src/identity/index.ts';
import type { GatewayResourcesInput } from '../../../control-plane/src/xds/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { writeStaticBootstrap } from './static-envoy.ts';
import { requireEnvoy, validateEnvoyConfig } from '../../helpers/envoy.ts';

const demoProvider: IdentityProviderSettings = {
  name: 'demo',
  issuer: 'http://127.0.0.1:18004',
  audiences: ['embguard-gateway'],
  jwks: { uri: 'http://127.0.0.1:18004/jwks' },
};

describe('buildJwtAuthn', () => {
  it('requires a header-only bearer token with exp, strips it and exposes the payload as metadata', () => {
    const { httpFilter, clusters } = buildJwtAuthn([demoProvider]);
    // The xDS listener builder takes it as one of the filters placed before ext_proc.
    const beforeExtProc: GatewayResourcesInput['httpFilters'] = [httpFilter];
    expect(beforeExtProc).toHaveLength(1);
    expect(httpFilter.name).toBe('envoy.filters.http.jwt_authn');
    const provider = httpFilter.typed_config.providers?.demo;
    expect(provider).toMatchObject({
      issuer: 'http://127.0.0.1:18004',
      audiences: ['embguard-gateway'],
      forward: false,
      from_headers: [{ name: 'authorization', value_prefix: 'Bearer ' }],
      require_expiration: true,
      payload_in_metadata: 'jwt_payload',
      jwt_cache_config: { jwt_cache_size: DEFAULT_VERIFIED_TOKEN_CACHE_SIZE },
    });
    expect(provider?.from_params).toBeUndefined();
    expect(provider?.remote_jwks?.http_uri).toMatchObject({ uri: demoProvider.jwks && 'http://127.0.0.1:18004/jwks', cluster: jwksClusterName('demo') });
    expect(httpFilter.typed_config.rules).toEqual([{ match: { prefix: '/' }, requires: { provider_name: 'demo' } }]);
    expect(clusters).toHaveLength(1);
    expect(clusters[0]).toMatchObject({ name: 'embguard_jwks_demo', type: 'STATIC' });
  });

  it('lets any of several providers satisfy the catch-all rule; inline JWKS needs no cluster', () => {
    const inline: IdentityProviderSettings = {
      name: 'corp',
      issuer: 'https://login.example.com',
      audiences: ['gw'],
      jwks: { inline: '{"keys":[]}' },
      claims: { groups: 'roles' },
    };
    const { httpFilter, clusters } = buildJwtAuthn([demoProvider, inline]);
    expect(httpFilter.typed_config.rules?.[0]?.requires).toEqual({
      requires_any: { requirements: [{ provider_name: 'demo' }, { provider_name: 'corp' }] },
    });
    expect(httpFilter.typed_config.providers?.corp?.local_jwks).toEqual({ inline_string: '{"keys":[]}' });
    expect(clusters.map((cluster) => cluster.name)).toEqual(['embguard_jwks_demo']);
  });

  it('sizes the verified-token cache, and leaves it out when the provider asks for 0', () => {
    const sized = buildJwtAuthn([{ ...demoProvider, verifiedTokenCacheSize: 5000 }]).httpFilter.typed_config.providers?.demo;
    expect(sized?.jwt_cache_config).toEqual({ jwt_cache_size: 5000 });
    // A config with size 0 would make Envoy cache with its default size, not turn caching off.
    const off = buildJwtAuthn([{ ...demoProvider, verifiedTokenCacheSize: 0 }]).httpFilter.typed_config.providers?.demo;
    expect(off).not.toHaveProperty('jwt_cache_config');
  });

  it.each([-1, 1.5, MAX_VERIFIED_TOKEN_CACHE_SIZE + 1])('refuses a verified-token cache size of %d', (size) => {
    expect(() => buildJwtAuthn([{ ...demoProvider, verifiedTokenCacheSize: size }])).toThrow(/verifiedTokenCacheSize/);
  });

  it('collects every problem of invalid settings', () => {
    const bad: IdentityProviderSettings = { name: 'Bad Name', issuer: '', audiences: [], jwks: { uri: 'ftp://x' } };
    try {
      buildJwtAuthn([bad]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IdentityConfigError);
      expect((err as IdentityConfigError).problems).toHaveLength(4);
    }
  });

  it('gives https JWKS hosts a TLS cluster resolved by DNS', () => {
    const { clusters } = buildJwtAuthn([{ ...demoProvider, jwks: { uri: 'https://idp.example.com/keys' } }]);
    expect(clusters[0]).toMatchObject({
      type: 'LOGICAL_DNS',
      transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { sni: 'idp.example.com' } },
    });
  });
});

describe('jwt_authn config in real Envoy', () => {
  requireEnvoy();
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());

  it('passes envoy --mode validate', async () => {
    const jwt = buildJwtAuthn([demoProvider, { ...demoProvider, name: 'tls', jwks: { uri: 'https://idp.example.com/keys' } }]);
    const file = writeStaticBootstrap(tmp.dir, jwt, { listener: await freePort(), admin: await freePort() });
    const result = await validateEnvoyConfig(file);
    expect(result.output).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  }, 30_000);
});
