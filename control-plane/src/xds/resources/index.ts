/** Builders of the gateway's Envoy resources and bootstraps, from plain input (no policy). */
export {
  buildGatewayResources,
  buildGatewaySnapshot,
  GatewayInputError,
  GATEWAY_NAMES,
  type GatewayResourcesInput,
} from './gateway.ts';
export { DEFAULT_MAX_RESPONSE_BYTES, SYSTEM_CA_FILE, upstreamCluster, type UpstreamInput } from './clusters.ts';
export { JWT_AUTHN_NAMESPACE } from './listener.ts';
export {
  staticBootstrap,
  encodeBootstrap,
  XDS_CLUSTER_NAME,
} from './bootstrap.ts';
export { typed, durationMs } from './common.ts';
