import type { Cluster } from '../generated/envoy/config/cluster/v3/Cluster.ts';
import type { ClusterLoadAssignment } from '../generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { Listener } from '../generated/envoy/config/listener/v3/Listener.ts';
import type { RouteConfiguration } from '../generated/envoy/config/route/v3/RouteConfiguration.ts';
import { messageShapeProblems } from './codec.ts';
import { messageNameOf, PUSH_ORDER, typeUrlOf, type ResourceKind } from './type-urls.ts';

/** The Envoy message type of each resource kind, as our builders write it (proto-loader object form). */
export interface ResourceTypes {
  cluster: Cluster;
  endpoint: ClusterLoadAssignment;
  listener: Listener;
  route: RouteConfiguration;
}

/** What a caller hands to {@link XdsSnapshot.create}. */
export interface XdsSnapshotInput {
  /** `<seq>-<hash12>`: the policy snapshot sequence number and the first 12 hex digits of its hash. */
  version: string;
  clusters: readonly Cluster[];
  endpoints: readonly ClusterLoadAssignment[];
  listeners: readonly Listener[];
  routes: readonly RouteConfiguration[];
}

/** Thrown by {@link XdsSnapshot.create}; lists every problem with the path of the resource at fault. */
export class SnapshotConsistencyError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`inconsistent xDS snapshot:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SnapshotConsistencyError';
    this.problems = problems;
  }
}

/** The version format: `<seq>-<hash12>` (see docs in envoy.md: /config_dump then names the policy snapshot). */
export const VERSION_PATTERN = /^[0-9]+-[0-9a-f]{12}$/;

/** Builds a version string from a sequence number and a hex digest (sha-256 of the policy snapshot). */
export function makeVersion(seq: number, hexDigest: string): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
  if (!/^[0-9a-f]{12,}$/.test(hexDigest)) throw new RangeError('hexDigest must be at least 12 lowercase hex digits');
  return `${seq}-${hexDigest.slice(0, 12)}`;
}

const HCM_TYPE = typeUrlOf(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
);

type NamedResource<K extends ResourceKind> = Readonly<ResourceTypes[K]>;

/**
 * One complete, consistent set of resources at one version, frozen. Created only through
 * {@link XdsSnapshot.create}, so the server never serves a listener whose route configuration is
 * missing or a cluster that waits forever for endpoints.
 */
export class XdsSnapshot {
  readonly version: string;
  readonly #byKind: { readonly [K in ResourceKind]: ReadonlyMap<string, NamedResource<K>> };

  private constructor(version: string, byKind: { [K in ResourceKind]: ReadonlyMap<string, NamedResource<K>> }) {
    this.version = version;
    this.#byKind = byKind;
    Object.freeze(this);
  }

  /**
   * Checks and freezes a snapshot. Throws {@link SnapshotConsistencyError} listing every problem:
   * bad version, a field or enum value the Envoy message does not have, an Any of a type we do not
   * load, unnamed or duplicate resources, a listener naming a route configuration that is not in
   * the snapshot, an EDS cluster without endpoints, endpoints for no EDS cluster, a route to an
   * unknown cluster.
   */
  static create(input: XdsSnapshotInput): XdsSnapshot {
    const problems: string[] = [];
    if (!VERSION_PATTERN.test(input.version)) {
      problems.push(`version: ${JSON.stringify(input.version)} is not <seq>-<hash12>`);
    }
    checkShapes('clusters', 'cluster', input.clusters, problems);
    checkShapes('endpoints', 'endpoint', input.endpoints, problems);
    checkShapes('listeners', 'listener', input.listeners, problems);
    checkShapes('routes', 'route', input.routes, problems);
    const byKind = {
      cluster: indexByName('clusters', input.clusters, (c) => c.name, problems),
      endpoint: indexByName('endpoints', input.endpoints, (e) => e.cluster_name, problems),
      listener: indexByName('listeners', input.listeners, (l) => l.name, problems),
      route: indexByName('routes', input.routes, (r) => r.name, problems),
    };
    checkListenerRoutes(input.listeners, byKind.route, problems);
    checkEdsEndpoints(input.clusters, byKind.endpoint, problems);
    checkRouteClusters(input.routes, byKind.cluster, problems);
    if (problems.length > 0) throw new SnapshotConsistencyError(problems);
    return new XdsSnapshot(input.version, byKind);
  }

  /** Every resource of a kind, sorted by name. */
  all<K extends ResourceKind>(kind: K): readonly NamedResource<K>[] {
    const map = this.#byKind[kind] as ReadonlyMap<string, NamedResource<K>>;
    return [...map.keys()].sort().map((name) => map.get(name) as NamedResource<K>);
  }

  /** The named resources of a kind that exist in this snapshot (unknown names are skipped). */
  named<K extends ResourceKind>(kind: K, names: readonly string[]): readonly NamedResource<K>[] {
    const map = this.#byKind[kind] as ReadonlyMap<string, NamedResource<K>>;
    return [...new Set(names)]
      .sort()
      .flatMap((name) => {
        const resource = map.get(name);
        return resource ? [resource] : [];
      });
  }

  /** Resource counts per kind, for logs and status. */
  counts(): Record<ResourceKind, number> {
    return Object.fromEntries(PUSH_ORDER.map((kind) => [kind, this.#byKind[kind].size])) as Record<ResourceKind, number>;
  }
}

function checkShapes(field: string, kind: ResourceKind, resources: readonly object[], problems: string[]): void {
  resources.forEach((resource, i) => problems.push(...messageShapeProblems(messageNameOf(kind), resource, `${field}[${i}]`)));
}

function indexByName<T extends object>(
  field: string,
  resources: readonly T[],
  nameOf: (resource: T) => string | undefined,
  problems: string[],
): ReadonlyMap<string, Readonly<T>> {
  const map = new Map<string, Readonly<T>>();
  resources.forEach((resource, i) => {
    const name = nameOf(resource);
    if (!name) problems.push(`${field}[${i}]: has no name`);
    else if (map.has(name)) problems.push(`${field}[${i}]: duplicate name ${JSON.stringify(name)}`);
    else map.set(name, deepFreeze(structuredClone(resource)));
  });
  return map;
}

/** The RDS route configuration names a listener's HTTP connection managers refer to. */
export function rdsNamesOfListener(listener: Listener): string[] {
  const names: string[] = [];
  for (const chain of [...(listener.filter_chains ?? []), ...(listener.default_filter_chain ? [listener.default_filter_chain] : [])]) {
    for (const filter of chain.filters ?? []) {
      const config: unknown = filter.typed_config;
      if (!isRecord(config) || config['@type'] !== HCM_TYPE) continue;
      const rds = config['rds'];
      if (isRecord(rds) && typeof rds['route_config_name'] === 'string') names.push(rds['route_config_name']);
    }
  }
  return names;
}

function checkListenerRoutes(
  listeners: readonly Listener[],
  routes: ReadonlyMap<string, unknown>,
  problems: string[],
): void {
  listeners.forEach((listener, i) => {
    for (const name of rdsNamesOfListener(listener)) {
      if (!routes.has(name)) problems.push(`listeners[${i}] (${listener.name}): route configuration ${JSON.stringify(name)} is not in the snapshot`);
    }
  });
}

function isEdsCluster(cluster: Cluster): boolean {
  return cluster.type === 'EDS' || cluster.type === 3;
}

function edsServiceName(cluster: Cluster): string {
  return cluster.eds_cluster_config?.service_name || cluster.name || '';
}

function checkEdsEndpoints(
  clusters: readonly Cluster[],
  endpoints: ReadonlyMap<string, unknown>,
  problems: string[],
): void {
  const edsNames = new Set<string>();
  clusters.forEach((cluster, i) => {
    if (!isEdsCluster(cluster)) return;
    const name = edsServiceName(cluster);
    edsNames.add(name);
    if (!endpoints.has(name)) problems.push(`clusters[${i}] (${cluster.name}): EDS name ${JSON.stringify(name)} has no endpoints in the snapshot`);
  });
  for (const name of endpoints.keys()) {
    if (!edsNames.has(name)) problems.push(`endpoints (${name}): no EDS cluster uses this name`);
  }
}

function checkRouteClusters(
  routes: readonly RouteConfiguration[],
  clusters: ReadonlyMap<string, unknown>,
  problems: string[],
): void {
  routes.forEach((config, i) => {
    (config.virtual_hosts ?? []).forEach((host, h) => {
      (host.routes ?? []).forEach((route, r) => {
        const cluster = route.route?.cluster;
        if (cluster && !clusters.has(cluster)) {
          problems.push(`routes[${i}] (${config.name}).virtual_hosts[${h}].routes[${r}]: cluster ${JSON.stringify(cluster)} is not in the snapshot`);
        }
      });
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Freezes a plain object graph; typed arrays (bytes fields) cannot be frozen and are left as they are. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
