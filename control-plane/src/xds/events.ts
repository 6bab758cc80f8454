import type { ResourceKind, TypeUrl } from './type-urls.ts';

interface EventBase {
  nodeId: string;
  /** RFC 3339 time from the injected clock. */
  time: string;
}

/** A response sent to a node. */
export interface XdsPushEvent extends EventBase {
  kind: 'xds.push';
  resourceKind: ResourceKind;
  typeUrl: TypeUrl;
  version: string;
  nonce: string;
  resourceCount: number;
}

/** A node accepted a response (request with its nonce and no `error_detail`). */
export interface XdsAckEvent extends EventBase {
  kind: 'xds.ack';
  resourceKind: ResourceKind;
  typeUrl: TypeUrl;
  version: string;
  nonce: string;
}

/** A node rejected a response (request with its nonce and `error_detail`). */
export interface XdsNackEvent extends EventBase {
  kind: 'xds.nack';
  resourceKind: ResourceKind;
  typeUrl: TypeUrl;
  /** The version the node rejected. */
  version: string;
  /** The version the node still runs (its request's `version_info`; empty when it has none). */
  acceptedVersion: string;
  nonce: string;
  /** Envoy's `error_detail.message`: the reason, as Envoy wrote it. */
  error: string;
}

/** A node opened an ADS stream (its first request named the node). */
export interface XdsConnectEvent extends EventBase {
  kind: 'xds.connect';
}

/** A node's ADS stream ended. */
export interface XdsDisconnectEvent extends EventBase {
  kind: 'xds.disconnect';
}

/** Everything the xDS server reports; the lead records `xds.ack` / `xds.nack` in the audit log. */
export type XdsEvent = XdsPushEvent | XdsAckEvent | XdsNackEvent | XdsConnectEvent | XdsDisconnectEvent;

/** Receives xDS events; must not throw (errors are logged and dropped). */
export type XdsEventListener = (event: XdsEvent) => void;
