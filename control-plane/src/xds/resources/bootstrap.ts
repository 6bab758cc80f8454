import type { Listener } from '../../generated/envoy/config/listener/v3/Listener.ts';
import type { RouteConfiguration } from '../../generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { XdsSnapshotInput } from '../snapshot.ts';
import { encodeMessage } from '../codec.ts';
import { typeUrlOf } from '../type-urls.ts';
import { socketAddress } from './common.ts';

/** Name of the static cluster through which Envoy reaches the ADS server. */
export const XDS_CLUSTER_NAME = 'embguard_xds';

/** What {@link adsBootstrap} needs. */
export interface AdsBootstrapInput {
  nodeId: string;
  /** Envoy's `node.cluster` (service cluster); `embguard` when omitted. */
  nodeCluster?: string;
  xdsHost: string;
  xdsPort: number;
  adminPort: number;
  /** Admin bind address; loopback when omitted. */
  adminHost?: string;
  /** Cap on open downstream connections across all listeners; 10,000 when omitted. */
  maxDownstreamConnections?: number;
}

/** A JSON value (the bootstrap is written as proto3 JSON, which Envoy reads from a `.json` file). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/**
 * Envoy's bootstrap for embguard, in proto3 JSON form (write it with `JSON.stringify` to a
 * `.json` file and pass `-c`): node identity, admin on loopback, and ADS for CDS and LDS over a
 * static HTTP/2 cluster to the xDS server. Everything else arrives over ADS.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/overview/xds_api#aggregated-discovery-service
 */
export function adsBootstrap(input: AdsBootstrapInput): { [key: string]: JsonValue } {
  const adsSource = { ads: {}, resource_api_version: 'V3' };
  return {
    node: { id: input.nodeId, cluster: input.nodeCluster ?? 'embguard' },
    admin: { address: { socket_address: { address: input.adminHost ?? '127.0.0.1', port_value: input.adminPort } } },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER_NAME } }],
        set_node_on_first_message_only: true,
      },
      cds_config: adsSource,
      lds_config: adsSource,
    },
    // Without a cap Envoy accepts connections until it runs out of memory (and warns at start).
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type': typeUrlOf('envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig'),
            max_active_downstream_connections: input.maxDownstreamConnections ?? 10_000,
          },
        },
      ],
    },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER_NAME,
          type: 'STATIC',
          connect_timeout: '1s',
          // gRPC needs HTTP/2; Envoy does not warn when a gRPC cluster is HTTP/1, it just fails.
          typed_extension_protocol_options: {
            [HTTP_PROTOCOL_OPTIONS]: {
              '@type': typeUrlOf(HTTP_PROTOCOL_OPTIONS),
              // Pings notice a control plane that vanished without closing the connection.
              explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: '10s', timeout: '5s' } } },
            },
          },
          load_assignment: {
            cluster_name: XDS_CLUSTER_NAME,
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: input.xdsHost, port_value: input.xdsPort } } } }] }],
          },
        },
      ],
    },
  };
}

const HCM_TYPE = typeUrlOf('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');

/** The listener with each RDS reference replaced by the route configuration itself. */
function inlineRoutes(listener: Listener, routes: ReadonlyMap<string, RouteConfiguration>): Listener {
  return {
    ...listener,
    filter_chains: (listener.filter_chains ?? []).map((chain) => ({
      ...chain,
      filters: (chain.filters ?? []).map((filter) => {
        const config: unknown = filter.typed_config;
        if (typeof config !== 'object' || config === null || !('@type' in config) || config['@type'] !== HCM_TYPE) return filter;
        if (!('rds' in config)) return filter;
        // Narrowed to an HCM above; the generated union type of typed_config cannot express that.
        const { rds, ...rest } = config as { rds: { route_config_name?: string } } & Record<string, unknown>;
        const routeConfig = routes.get(rds.route_config_name ?? '');
        if (!routeConfig) throw new Error(`route configuration ${JSON.stringify(rds.route_config_name)} is missing`);
        return { ...filter, typed_config: { ...rest, '@type': HCM_TYPE, route_config: routeConfig } };
      }),
    })),
  };
}

/**
 * A bootstrap with the same resources as static config (routes inlined, no ADS), in object form;
 * for `envoy --mode validate`, so tests prove the builders' output is config Envoy accepts.
 */
export function staticBootstrap(resources: Omit<XdsSnapshotInput, 'version'>, adminPort: number): object {
  if (resources.endpoints.length > 0) throw new Error('static bootstrap: EDS endpoints are not supported');
  const routes = new Map(resources.routes.map((route) => [route.name ?? '', route]));
  return {
    node: { id: 'embguard-validate', cluster: 'embguard' },
    admin: { address: socketAddress('127.0.0.1', adminPort) },
    static_resources: {
      clusters: resources.clusters,
      listeners: resources.listeners.map((listener) => inlineRoutes(listener, routes)),
    },
  };
}

/** A bootstrap object (as from {@link staticBootstrap}) as binary protobuf, for a `.pb` config file. */
export function encodeBootstrap(bootstrap: object): Buffer {
  return encodeMessage('envoy.config.bootstrap.v3.Bootstrap', bootstrap);
}
