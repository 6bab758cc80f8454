import type { Cluster } from '../../generated/envoy/config/cluster/v3/Cluster.ts';
import type { ResponseMapper } from '../../generated/envoy/extensions/filters/network/http_connection_manager/v3/ResponseMapper.ts';
import type { HttpFilter } from '../../generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.ts';
import { XdsSnapshot, type XdsSnapshotInput } from '../snapshot.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, processorCluster, upstreamCluster, type UpstreamInput } from './clusters.ts';
import { gatewayListener } from './listener.ts';
import { gatewayRoutes } from './routes.ts';

/** Resource names the gateway uses; stable so /config_dump and stats are easy to read. */
export const GATEWAY_NAMES = Object.freeze({
  listener: 'embguard_listener',
  routeConfig: 'embguard_routes',
  processorCluster: 'embguard_processor',
});

/** Everything the gateway's Envoy resources are built from (no policy: the caller compiled it). */
export interface GatewayResourcesInput {
  /** Where clients connect, e.g. 127.0.0.1:10000. */
  listener: { host: string; port: number };
  processor: {
    host: string;
    port: number;
    /** Per-message timeout for ext_proc replies (seconds, e.g. 5000). */
    messageTimeoutMs: number;
    /** Ceiling for holds the processor asks for (approvals); defaults to `messageTimeoutMs`. */
    maxMessageTimeoutMs?: number;
  };
  /** At least one; the first is the default for both routes. */
  upstreams: readonly UpstreamInput[];
  routes?: { embeddingsUpstream?: string; modelsUpstream?: string; upstreamTimeoutMs?: number };
  /** Largest request body Envoy buffers for the processor; larger → 413. */
  maxRequestBytes: number;
  /** Largest upstream response body Envoy buffers for the processor; larger → 500. Default 32 MiB. */
  maxResponseBytes?: number;
  /** HTTP filters placed before ext_proc, e.g. the jwt_authn filter from the identity capability. */
  httpFilters?: readonly HttpFilter[];
  /** How those filters' own refusals are answered (first match wins, before the gateway's mappers). */
  localReplyMappers?: readonly ResponseMapper[];
  /** Clusters those filters need, e.g. the JWKS host of jwt_authn's `remote_jwks` (see `upstreamCluster`). */
  extraClusters?: readonly Cluster[];
}

const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

/** Thrown for an input that cannot describe a gateway (e.g. a route to an unknown upstream). */
export class GatewayInputError extends Error {
  override name = 'GatewayInputError';
}

/**
 * Builds the gateway's clusters, listener and route configuration (no EDS: endpoints are inline).
 * `configVersion`, when given, is stamped into the route configuration (see `RoutesInput`).
 */
export function buildGatewayResources(input: GatewayResourcesInput, configVersion?: string): Omit<XdsSnapshotInput, 'version'> {
  const first = input.upstreams[0];
  if (!first) throw new GatewayInputError('at least one upstream is required');
  const names = new Set(input.upstreams.map((u) => u.name));
  const embeddingsUpstream = input.routes?.embeddingsUpstream ?? first.name;
  const modelsUpstream = input.routes?.modelsUpstream ?? embeddingsUpstream;
  for (const name of [embeddingsUpstream, modelsUpstream]) {
    if (!names.has(name)) throw new GatewayInputError(`route names upstream ${JSON.stringify(name)}, which is not in upstreams`);
  }
  const maxResponseBytes = input.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return {
    clusters: [
      ...input.upstreams.map((upstream) => upstreamCluster(upstream, maxResponseBytes)),
      processorCluster(GATEWAY_NAMES.processorCluster, input.processor.host, input.processor.port),
      ...(input.extraClusters ?? []),
    ],
    endpoints: [],
    listeners: [
      gatewayListener({
        name: GATEWAY_NAMES.listener,
        host: input.listener.host,
        port: input.listener.port,
        routeConfigName: GATEWAY_NAMES.routeConfig,
        maxRequestBytes: input.maxRequestBytes,
        processor: {
          cluster: GATEWAY_NAMES.processorCluster,
          messageTimeoutMs: input.processor.messageTimeoutMs,
          maxMessageTimeoutMs: input.processor.maxMessageTimeoutMs ?? input.processor.messageTimeoutMs,
        },
        httpFilters: input.httpFilters ?? [],
        localReplyMappers: input.localReplyMappers ?? [],
      }),
    ],
    routes: [
      gatewayRoutes(GATEWAY_NAMES.routeConfig, {
        embeddingsUpstream,
        modelsUpstream,
        upstreamTimeoutMs: input.routes?.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
        ...(configVersion ? { configVersion } : {}),
      }),
    ],
  };
}

/** {@link buildGatewayResources} checked and frozen as a snapshot at `version` (`<seq>-<hash12>`). */
export function buildGatewaySnapshot(version: string, input: GatewayResourcesInput): XdsSnapshot {
  return XdsSnapshot.create({ version, ...buildGatewayResources(input, version) });
}
