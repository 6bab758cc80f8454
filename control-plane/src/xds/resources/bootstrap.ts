import type { Listener } from '../../generated/envoy/config/listener/v3/Listener.ts';
import type { RouteConfiguration } from '../../generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { XdsSnapshotInput } from '../snapshot.ts';
import { encodeMessage } from '../codec.ts';
import { typeUrlOf } from '../type-urls.ts';
import { socketAddress } from './common.ts';

/** Name of the static cluster through which Envoy reaches the ADS server. */
export const XDS_CLUSTER_NAME = 'embguard_xds';

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
