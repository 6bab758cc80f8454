import { renderBootstrap } from '../../../control-plane/src/envoy/index.ts';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildGatewayResources,
  encodeBootstrap,
  GatewayInputError,
  staticBootstrap,
  typed,
  upstreamCluster,
  type GatewayResourcesInput,
} from '../../../control-plane/src/xds/index.ts';
import { requireEnvoy, validateEnvoyConfig } from '../../helpers/envoy.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { sampleGatewayInput } from '../../fixtures/xds/gateway.ts';

const tmp = makeTempDir('embguard-xds-validate-');
afterAll(() => tmp.cleanup());

let fileCount = 0;
async function validate(input: GatewayResourcesInput): Promise<{ code: number | null; output: string }> {
  const file = path.join(tmp.dir, `static-${++fileCount}.pb`);
  fs.writeFileSync(file, encodeBootstrap(staticBootstrap(buildGatewayResources(input), 0)));
  return validateEnvoyConfig(file);
}

const JWK = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'test', alg: 'ES256', use: 'sig' };

/** A jwt_authn filter as the identity capability supplies it (inline JWKS: no JWKS cluster needed). */
const JWT_FILTER = {
  name: 'envoy.filters.http.jwt_authn',
  typed_config: typed('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
    providers: {
      demo: {
        issuer: 'http://127.0.0.1:18004',
        audiences: ['embguard'],
        local_jwks: { inline_string: JSON.stringify({ keys: [JWK] }) },
        from_headers: [{ name: 'Authorization', value_prefix: 'Bearer ' }],
        payload_in_metadata: 'claims',
        forward: false,
      },
    },
    rules: [{ match: { prefix: '/' }, requires: { provider_name: 'demo' } }],
  }),
};

function hcmOf(input: GatewayResourcesInput): Record<string, unknown> {
  const listener = buildGatewayResources(input).listeners[0];
  return listener?.filter_chains?.[0]?.filters?.[0]?.typed_config as unknown as Record<string, unknown>; // test-only peek into the Any
}

describe('gateway resource builders', () => {
  it('builds the listener → ext_proc → router chain with the documented processing mode', () => {
    const hcm = hcmOf(sampleGatewayInput({ httpFilters: [JWT_FILTER] }));
    const filters = hcm['http_filters'] as { name: string; typed_config: Record<string, unknown> }[];
    expect(filters.map((f) => f.name)).toEqual(['envoy.filters.http.jwt_authn', 'envoy.filters.http.ext_proc', 'envoy.filters.http.router']);
    expect(filters[1]?.typed_config).toMatchObject({
      failure_mode_allow: false,
      processing_mode: {
        request_header_mode: 'SEND',
        request_body_mode: 'BUFFERED',
        response_header_mode: 'SEND',
        response_body_mode: 'BUFFERED',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
      request_attributes: ['source.address'],
      message_timeout: { seconds: '5', nanos: 0 },
      max_message_timeout: { seconds: '30', nanos: 0 },
      metadata_options: { forwarding_namespaces: { untyped: ['envoy.filters.http.jwt_authn'] } },
    });
    expect(hcm).toMatchObject({
      normalize_path: { value: true },
      merge_slashes: true,
      path_with_escaped_slashes_action: 'REJECT_REQUEST',
      rds: { route_config_name: 'embguard_routes' },
    });
  });

  it('routes POST /v1/embeddings and GET /v1/models upstream and answers everything else with JSON errors', () => {
    const [routes] = buildGatewayResources(sampleGatewayInput()).routes;
    const table = routes?.virtual_hosts?.[0]?.routes ?? [];
    expect(table.map((r) => [r.name, r.route?.cluster ?? r.direct_response?.status])).toEqual([
      ['embeddings', 'demo'],
      ['models', 'demo'],
      ['embeddings_wrong_method', 405],
      ['models_wrong_method', 405],
      ['not_found', 404],
    ]);
    const body = JSON.parse(table[4]?.direct_response?.body?.inline_string ?? '');
    expect(body).toEqual({ error: expect.objectContaining({ type: 'not_found_error', code: 'not_found' }) });
  });

  it('refuses a route to an upstream that does not exist', () => {
    expect(() => buildGatewayResources(sampleGatewayInput({ routes: { modelsUpstream: 'nope' } }))).toThrow(GatewayInputError);
    expect(() => buildGatewayResources(sampleGatewayInput({ upstreams: [] }))).toThrow(GatewayInputError);
  });
});

describe('gateway resources accepted by real Envoy (--mode validate)', () => {
  requireEnvoy();
  it('accepts the default gateway', async () => {
    const { code, output } = await validate(sampleGatewayInput());
    expect(code, output).toBe(0);
  });

  it('accepts a TLS upstream on a DNS name and a jwt_authn filter before ext_proc', async () => {
    const { code, output } = await validate(
      sampleGatewayInput({
        upstreams: [
          { name: 'demo', host: '127.0.0.1', port: 18003 },
          { name: 'openai', host: 'api.openai.com', port: 443, tls: { sni: 'api.openai.com', minVersion: 'TLSv1_3' } },
        ],
        routes: { embeddingsUpstream: 'openai', modelsUpstream: 'demo' },
        httpFilters: [JWT_FILTER],
      }),
    );
    expect(code, output).toBe(0);
  });

  it('accepts jwt_authn with remote JWKS fetched through an extra cluster', async () => {
    const remoteJwt = {
      name: 'envoy.filters.http.jwt_authn',
      typed_config: typed('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
        providers: {
          demo: {
            issuer: 'http://127.0.0.1:18004',
            remote_jwks: { http_uri: { uri: 'http://127.0.0.1:18004/jwks', cluster: 'jwks', timeout: { seconds: '2' } }, cache_duration: { seconds: '300' } },
            payload_in_metadata: 'claims',
          },
        },
        rules: [{ match: { prefix: '/' }, requires: { provider_name: 'demo' } }],
      }),
    };
    const input = sampleGatewayInput({ httpFilters: [remoteJwt], extraClusters: [upstreamCluster({ name: 'jwks', host: '127.0.0.1', port: 18004 })] });
    const { code, output } = await validate(input);
    expect(code, output).toBe(0);
    expect(buildGatewayResources(input).clusters.map((c) => c.name)).toEqual(['demo', 'embguard_processor', 'jwks']);
  });

  it('rejects an upstream with an invalid IP address (the check can fail)', async () => {
    const { code, output } = await validate(sampleGatewayInput({ upstreams: [{ name: 'demo', host: '999.1.1.1', port: 18003 }] }));
    expect(code).not.toBe(0);
    expect(output).toMatch(/999\.1\.1\.1/);
  });

  it('accepts the ADS bootstrap', async () => {
    const file = path.join(tmp.dir, 'ads.json');
    fs.writeFileSync(file, JSON.stringify(renderBootstrap({ nodeId: 'validate', xdsPort: 18000, adminPort: 0 })));
    const { code, output } = await validateEnvoyConfig(file);
    expect(code, output).toBe(0);
  });
});
