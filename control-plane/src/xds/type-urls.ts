/**
 * The xDS resource types embguard serves, in one place.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#resource-types
 */
export const TYPE_URLS = Object.freeze({
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const);

/** A resource kind the server knows (the keys of {@link TYPE_URLS}). */
export type ResourceKind = keyof typeof TYPE_URLS;

/** A type URL the server serves. */
export type TypeUrl = (typeof TYPE_URLS)[ResourceKind];

/**
 * Order in which a new snapshot is pushed: clusters → endpoints → listeners → routes, so that a
 * warming cluster finds its endpoints and a warming listener its route configuration
 * (https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#eventual-consistency-considerations).
 */
export const PUSH_ORDER: readonly ResourceKind[] = Object.freeze(['cluster', 'endpoint', 'listener', 'route']);

/**
 * Whether Envoy subscribes to every resource of the kind (LDS, CDS: full state each response, a
 * resource left out is deleted) or to named resources (RDS, EDS: answer the names requested).
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#how-the-client-specifies-what-resources-to-return
 */
export const FULL_STATE: Readonly<Record<ResourceKind, boolean>> = Object.freeze({
  cluster: true,
  endpoint: false,
  listener: true,
  route: false,
});

const KIND_BY_URL: ReadonlyMap<string, ResourceKind> = new Map(
  (Object.keys(TYPE_URLS) as ResourceKind[]).map((kind) => [TYPE_URLS[kind], kind]),
);

/** The resource kind of a type URL, or `undefined` for a type the server does not serve. */
export function kindOfTypeUrl(typeUrl: string): ResourceKind | undefined {
  return KIND_BY_URL.get(typeUrl);
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The protobuf message name of a resource kind, e.g. `envoy.config.cluster.v3.Cluster`. */
export function messageNameOf(kind: ResourceKind): string {
  return TYPE_URLS[kind].slice(TYPE_URL_PREFIX.length);
}

/** Fully qualified type URL of a protobuf message name. */
export function typeUrlOf(messageName: string): string {
  return `${TYPE_URL_PREFIX}${messageName}`;
}
