import type { XdsSnapshot } from './snapshot.ts';
import type { ResourceKind } from './type-urls.ts';

/**
 * What the ADS protocol server needs from the cache: the snapshot for a node, a change signal,
 * and parking of versions a node rejected. The one interface between protocol and content.
 */
export interface SnapshotSource {
  /** The snapshot the node should run, or `undefined` while there is none yet. */
  snapshotFor(nodeId: string): XdsSnapshot | undefined;
  /** Calls `listener` whenever a snapshot changes; returns the unsubscribe function. */
  watch(listener: () => void): () => void;
  /** Records that `nodeId` rejected `version` of `kind`, so it is not offered again. */
  park(nodeId: string, kind: ResourceKind, version: string): void;
  /** Whether `nodeId` rejected exactly this `version` of `kind` before. */
  isParked(nodeId: string, kind: ResourceKind, version: string): boolean;
}

/**
 * Holds the snapshot every node runs (a per-node override is possible) and the versions each
 * node rejected. A rejected version stays parked for that node, across reconnects, until a new
 * snapshot replaces it: a NACKed config is never resent; the fix arrives as a new version
 * (https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-nack-and-resource-type-instance-version).
 */
export class SnapshotCache implements SnapshotSource {
  #global: XdsSnapshot | undefined;
  readonly #perNode = new Map<string, XdsSnapshot>();
  readonly #parked = new Map<string, Map<ResourceKind, string>>();
  readonly #watchers = new Set<() => void>();

  /** Replaces the snapshot for every node without an override, and wakes the streams. */
  setSnapshot(snapshot: XdsSnapshot): void {
    this.#global = snapshot;
    this.#notify();
  }

  /** Pins one node to its own snapshot (e.g. a canary Envoy). */
  setNodeSnapshot(nodeId: string, snapshot: XdsSnapshot): void {
    this.#perNode.set(nodeId, snapshot);
    this.#notify();
  }

  /** The snapshot set by {@link setSnapshot}, if any. */
  current(): XdsSnapshot | undefined {
    return this.#global;
  }

  snapshotFor(nodeId: string): XdsSnapshot | undefined {
    return this.#perNode.get(nodeId) ?? this.#global;
  }

  watch(listener: () => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  park(nodeId: string, kind: ResourceKind, version: string): void {
    let byKind = this.#parked.get(nodeId);
    if (!byKind) this.#parked.set(nodeId, (byKind = new Map()));
    byKind.set(kind, version);
  }

  isParked(nodeId: string, kind: ResourceKind, version: string): boolean {
    return this.#parked.get(nodeId)?.get(kind) === version;
  }

  #notify(): void {
    for (const watcher of [...this.#watchers]) watcher();
  }
}
