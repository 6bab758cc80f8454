/**
 * embguard's xDS control plane: a State-of-the-World ADS server for Envoy, consistent frozen
 * snapshots, the gateway's resource builders, per-node ACK/NACK status and its API route.
 * It knows nothing of policy: callers compile policy into {@link GatewayResourcesInput}.
 */
export { startXdsServer, type XdsServer, type XdsServerOptions } from './control-plane.ts';
export {
  XdsSnapshot,
  SnapshotConsistencyError,
  makeVersion,
  VERSION_PATTERN,
  type XdsSnapshotInput,
  type ResourceTypes,
} from './snapshot.ts';
export type { XdsEvent, XdsEventListener, XdsPushEvent, XdsAckEvent, XdsNackEvent, XdsConnectEvent, XdsDisconnectEvent } from './events.ts';
export { readStatusFile, isStatusDocument, type NodeStatus, type TypeStatus, type XdsStatusDocument } from './status.ts';
export { xdsApiRoutes, XDS_STATUS_PATH } from './api.ts';
export { TYPE_URLS, PUSH_ORDER, type ResourceKind, type TypeUrl } from './type-urls.ts';
export * from './resources/index.ts';
export { loadXdsStatus, formatStatusTable, xdsStatusFile, type LoadedXdsStatus } from './status-view.ts';
