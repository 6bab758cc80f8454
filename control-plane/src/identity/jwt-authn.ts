import type { JwtAuthentication } from '../generated/envoy/extensions/filters/http/jwt_authn/v3/JwtAuthentication.ts';
import type { JwtProvider } from '../generated/envoy/extensions/filters/http/jwt_authn/v3/JwtProvider.ts';
import type { JwtRequirement } from '../generated/envoy/extensions/filters/http/jwt_authn/v3/JwtRequirement.ts';
import type { Cluster } from '../generated/envoy/config/cluster/v3/Cluster.ts';
import type { UpstreamTlsContext } from '../generated/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.ts';
import type { ResponseMapper } from '../generated/envoy/extensions/filters/network/http_connection_manager/v3/ResponseMapper.ts';
import { GatewayError, openAIErrorJson } from '../errors/index.ts';
import { DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, MAX_VERIFIED_TOKEN_CACHE_SIZE, type IdentityProviderSettings } from './types.ts';

/** Filter name and type URL of Envoy's JWT authentication filter. */
export const JWT_AUTHN_FILTER_NAME = 'envoy.filters.http.jwt_authn';
export const JWT_AUTHN_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';
const CEL_FILTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter';
const TLS_CONTEXT_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/**
 * Key under `metadata_context.filter_metadata["envoy.filters.http.jwt_authn"]` that holds the
 * verified payload. Claims are read only from here: a client-sent header is never trusted
 * (envoy.md, jwt_authn: `forward_payload_header` can be spoofed when unset).
 */
export const JWT_PAYLOAD_METADATA_KEY = 'jwt_payload';

/** The `envoy.filters.http.jwt_authn` HTTP filter with its typed_config in the `"@type"` form proto-loader encodes. */
export interface JwtAuthnHttpFilter {
  name: typeof JWT_AUTHN_FILTER_NAME;
  typed_config: { '@type': typeof JWT_AUTHN_TYPE_URL } & JwtAuthentication;
}

/** What the listener needs for token verification: the filter (placed before ext_proc) and the JWKS clusters. */
export interface JwtAuthnResources {
  httpFilter: JwtAuthnHttpFilter;
  /** One cluster per remote JWKS host; add them to CDS alongside the other clusters. */
  clusters: Cluster[];
}

export class IdentityConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid identity provider settings:\n  - ${problems.join('\n  - ')}`);
    this.name = 'IdentityConfigError';
    this.problems = problems;
  }
}

const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const DEFAULT_JWKS_CACHE_SECONDS = 300;
const DEFAULT_JWKS_FETCH_TIMEOUT_MS = 5000;

/** Name of the cluster that serves one provider's JWKS. */
export function jwksClusterName(providerName: string): string {
  return `embguard_jwks_${providerName}`;
}

function validateProviders(providers: readonly IdentityProviderSettings[]): void {
  const problems: string[] = [];
  if (providers.length === 0) problems.push('at least one identity provider is required');
  const seen = new Set<string>();
  providers.forEach((provider, index) => {
    const at = `providers[${index}]`;
    if (!PROVIDER_NAME.test(provider.name)) problems.push(`${at}.name must match ${PROVIDER_NAME.source}`);
    if (seen.has(provider.name)) problems.push(`${at}.name ${JSON.stringify(provider.name)} is used twice`);
    seen.add(provider.name);
    if (!provider.issuer) problems.push(`${at}.issuer is required`);
    if (provider.audiences.length === 0) problems.push(`${at}.audiences needs at least one audience`);
    if ('uri' in provider.jwks) {
      const url = URL.canParse(provider.jwks.uri) ? new URL(provider.jwks.uri) : undefined;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        problems.push(`${at}.jwks.uri must be an http(s) URL`);
      }
    } else if (!isJwksJson(provider.jwks.inline)) {
      problems.push(`${at}.jwks.inline must be a JWKS JSON document with a "keys" array`);
    }
    const cacheSize = provider.verifiedTokenCacheSize;
    if (cacheSize !== undefined && !(Number.isInteger(cacheSize) && cacheSize >= 0 && cacheSize <= MAX_VERIFIED_TOKEN_CACHE_SIZE)) {
      problems.push(`${at}.verifiedTokenCacheSize must be an integer from 0 to ${MAX_VERIFIED_TOKEN_CACHE_SIZE}`);
    }
  });
  if (problems.length > 0) throw new IdentityConfigError(problems);
}

function isJwksJson(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys);
  } catch {
    return false;
  }
}

function milliseconds(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function buildProvider(provider: IdentityProviderSettings): JwtProvider {
  const jwks: Pick<JwtProvider, 'remote_jwks' | 'local_jwks'> =
    'uri' in provider.jwks
      ? {
          remote_jwks: {
            http_uri: {
              uri: provider.jwks.uri,
              cluster: jwksClusterName(provider.name),
              timeout: milliseconds(provider.jwks.fetchTimeoutMs ?? DEFAULT_JWKS_FETCH_TIMEOUT_MS),
            },
            cache_duration: { seconds: provider.jwks.cacheDurationSeconds ?? DEFAULT_JWKS_CACHE_SECONDS },
          },
        }
      : { local_jwks: { inline_string: provider.jwks.inline } };
  return {
    issuer: provider.issuer,
    audiences: [...provider.audiences],
    ...jwks,
    // The upstream embeddings provider must never see the caller's token.
    forward: false,
    // Without from_headers Envoy also accepts `?access_token=` (observed on 1.40): header only.
    from_headers: [{ name: 'authorization', value_prefix: 'Bearer ' }],
    // A token without `exp` would otherwise be valid forever.
    require_expiration: true,
    payload_in_metadata: JWT_PAYLOAD_METADATA_KEY,
    clock_skew_seconds: provider.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    ...verifiedTokenCache(provider.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE),
  };
}

/** Envoy caches verified tokens only when the config is present; a size of 0 in it means its default. */
function verifiedTokenCache(size: number): Pick<JwtProvider, 'jwt_cache_config'> {
  return size > 0 ? { jwt_cache_config: { jwt_cache_size: size } } : {};
}

function catchAllRequirement(providers: readonly IdentityProviderSettings[]): JwtRequirement {
  const [only] = providers;
  if (providers.length === 1 && only) return { provider_name: only.name };
  return { requires_any: { requirements: providers.map((provider) => ({ provider_name: provider.name })) } };
}

/**
 * A cluster that reaches the JWKS host of one provider. Loopback and IP hosts are STATIC; names
 * resolve with LOGICAL_DNS. HTTPS gets an upstream TLS context with SNI.
 */
export function buildJwksCluster(providerName: string, jwksUri: string): Cluster {
  const url = new URL(jwksUri);
  const tls = url.protocol === 'https:';
  const port = Number(url.port || (tls ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isIp = /^[0-9.]+$/.test(host) || host.includes(':');
  const name = jwksClusterName(providerName);
  const cluster: Cluster = {
    name,
    type: isIp ? 'STATIC' : 'LOGICAL_DNS',
    connect_timeout: { seconds: 5 },
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
  };
  if (tls) {
    const tlsContext: { '@type': string } & UpstreamTlsContext = { '@type': TLS_CONTEXT_TYPE_URL, sni: host };
    cluster.transport_socket = { name: 'envoy.transport_sockets.tls', typed_config: tlsContext };
  }
  return cluster;
}

/**
 * Compiles identity providers into Envoy's jwt_authn filter and the clusters its remote JWKS
 * fetches need. Every path requires a valid token: jwt_authn lets a request that matches no rule
 * through unauthenticated, so the only rule is a catch-all `prefix: "/"`.
 *
 * Status codes (Envoy 1.40, observed): missing, malformed, expired, not-yet-valid, wrong-issuer,
 * unknown-key, `alg: none`, HS256-with-public-key and tampered tokens → 401; a token whose
 * audience is not accepted → 403 (Envoy's `JwtAudienceNotAllowed`), all as text/plain. Add
 * `jwtAuthnLocalReplyMapper()` to the listener's local reply mappers to make every one of them a
 * 401 `unauthenticated` in the OpenAI error shape. Either way Envoy answers before the processor runs.
 */
export function buildJwtAuthn(providers: readonly IdentityProviderSettings[]): JwtAuthnResources {
  validateProviders(providers);
  const typedConfig: JwtAuthnHttpFilter['typed_config'] = {
    '@type': JWT_AUTHN_TYPE_URL,
    providers: Object.fromEntries(providers.map((provider) => [provider.name, buildProvider(provider)])),
    rules: [{ match: { prefix: '/' }, requires: catchAllRequirement(providers) }],
  };
  const clusters = providers.flatMap((provider) =>
    'uri' in provider.jwks ? [buildJwksCluster(provider.name, provider.jwks.uri)] : [],
  );
  return { httpFilter: { name: JWT_AUTHN_FILTER_NAME, typed_config: typedConfig }, clusters };
}

/**
 * CEL over Envoy's response code details that is true for every refusal by jwt_authn (details
 * `jwt_authn_access_denied{<reason>}`), and for nothing the processor sends.
 */
export const JWT_AUTHN_REFUSAL_CEL = "response.code_details.startsWith('jwt_authn_access_denied')";

/**
 * A local reply mapper (HCM `local_reply_config.mappers`, first match wins) that turns every
 * jwt_authn refusal — including the 403 Envoy gives a wrong audience — into a 401 with the
 * catalog's `unauthenticated` error as JSON. A token for another audience is a token not valid
 * here (RFC 6750 §3.1 `invalid_token` → 401), and clients get one answer for every bad token.
 * Envoy's `WWW-Authenticate` header is kept.
 */
export function jwtAuthnLocalReplyMapper(): ResponseMapper {
  const { status, json } = openAIErrorJson(new GatewayError('unauthenticated'));
  const celFilter: { '@type': string; expression: string } = { '@type': CEL_FILTER_TYPE_URL, expression: JWT_AUTHN_REFUSAL_CEL };
  return {
    filter: { extension_filter: { name: 'envoy.access_loggers.extension_filters.cel', typed_config: celFilter } },
    status_code: { value: status },
    body_format_override: { text_format_source: { inline_string: json }, content_type: 'application/json' },
  };
}
