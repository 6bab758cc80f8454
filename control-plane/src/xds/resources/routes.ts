import type { RouteConfiguration } from '../../generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { Route } from '../../generated/envoy/config/route/v3/Route.ts';
import { toOpenAIError, GatewayError, type ErrorCode } from '../../errors/index.ts';
import { durationMs } from './common.ts';

/** Which upstream cluster serves each API path. */
export interface RoutesInput {
  embeddingsUpstream: string;
  modelsUpstream: string;
  /** Upper bound for one upstream exchange (the router's route timeout). */
  upstreamTimeoutMs: number;
  /**
   * Snapshot version stamped into the route configuration's metadata. Envoy shows a resource's
   * version in /config_dump only when its content changed; RDS changes swap in place (no drain),
   * so stamping the routes makes every snapshot visible there at no cost.
   */
  configVersion?: string;
}

/** Metadata namespace of the version stamp ({@link RoutesInput.configVersion}). */
export const VERSION_METADATA_NAMESPACE = 'embguard';

const JSON_CONTENT_TYPE = { header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } as const;

/** An error in the catalog's OpenAI shape, as a direct response body. */
export function errorBody(code: ErrorCode): { status: number; json: string } {
  const { status, body } = toOpenAIError(new GatewayError(code));
  return { status, json: JSON.stringify(body) };
}

function methodMatch(method: string) {
  return [{ name: ':method', string_match: { exact: method } }];
}

function directError(name: string, match: Route['match'], code: ErrorCode): Route {
  const { status, json } = errorBody(code);
  return {
    name,
    match,
    direct_response: { status, body: { inline_string: json } },
    response_headers_to_add: [JSON_CONTENT_TYPE],
  };
}

/**
 * The gateway's route table, served over RDS so a change swaps routes in place without draining
 * the listener: POST /v1/embeddings and GET /v1/models go upstream, other methods on those paths
 * get 405 and every other path 404, both as OpenAI-style JSON.
 */
export function gatewayRoutes(name: string, input: RoutesInput): RouteConfiguration {
  const timeout = durationMs(input.upstreamTimeoutMs);
  return {
    name,
    ...(input.configVersion
      ? { metadata: { filter_metadata: { [VERSION_METADATA_NAMESPACE]: { fields: { config_version: { stringValue: input.configVersion } } } } } }
      : {}),
    virtual_hosts: [
      {
        name: 'embguard',
        domains: ['*'],
        routes: [
          { name: 'embeddings', match: { path: '/v1/embeddings', headers: methodMatch('POST') }, route: { cluster: input.embeddingsUpstream, timeout } },
          { name: 'models', match: { path: '/v1/models', headers: methodMatch('GET') }, route: { cluster: input.modelsUpstream, timeout } },
          directError('embeddings_wrong_method', { path: '/v1/embeddings' }, 'method_not_allowed'),
          directError('models_wrong_method', { path: '/v1/models' }, 'method_not_allowed'),
          directError('not_found', { prefix: '/' }, 'not_found'),
        ],
      },
    ],
  };
}
