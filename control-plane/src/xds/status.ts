import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/index.ts';
import type { XdsEvent } from './events.ts';
import { PUSH_ORDER, type ResourceKind } from './type-urls.ts';

/** The state of one resource type on one node. */
export interface TypeStatus {
  /** Version of the latest response sent. */
  pushedVersion: string | null;
  lastPushAt: string | null;
  /** Latest version the node ACKed. */
  acceptedVersion: string | null;
  lastAckAt: string | null;
  /** Latest version the node NACKed, cleared when a newer version is ACKed. */
  rejectedVersion: string | null;
  error: string | null;
  lastNackAt: string | null;
}

/** What `embguard xds status` shows for one Envoy node. */
export interface NodeStatus {
  nodeId: string;
  connected: boolean;
  /**
   * `accepted`: every type ACKed the latest push; `rejected`: some type NACKed its latest push
   * (the node keeps running `acceptedVersion`); `pending`: a push awaits its ACK or NACK.
   */
  state: 'accepted' | 'rejected' | 'pending';
  /** Latest snapshot version pushed to the node. */
  pushedVersion: string | null;
  lastPushAt: string | null;
  /** The version the node runs: ACKed for every type it subscribed to (null while types disagree). */
  acceptedVersion: string | null;
  rejectedVersion: string | null;
  /** Envoy's error text of the latest NACK still in force. */
  error: string | null;
  /** Time of the latest event from or to this node. */
  updatedAt: string;
  types: Partial<Record<ResourceKind, TypeStatus>>;
}

/** The document written to the status file and served at `GET /v1/xds/status`. */
export interface XdsStatusDocument {
  /** Version of the snapshot the control plane serves now. */
  snapshotVersion: string | null;
  nodes: NodeStatus[];
}

const EMPTY_TYPE: TypeStatus = Object.freeze({
  pushedVersion: null,
  lastPushAt: null,
  acceptedVersion: null,
  lastAckAt: null,
  rejectedVersion: null,
  error: null,
  lastNackAt: null,
});

/** Per-node status, folded from {@link XdsEvent}s. Kept after a node disconnects (marked so). */
export class NodeStatusBook {
  readonly #nodes = new Map<string, { connected: number; updatedAt: string; types: Map<ResourceKind, TypeStatus> }>();

  /** Folds one event into the node's status. */
  apply(event: XdsEvent): void {
    let node = this.#nodes.get(event.nodeId);
    if (!node) this.#nodes.set(event.nodeId, (node = { connected: 0, updatedAt: event.time, types: new Map() }));
    node.updatedAt = event.time;
    if (event.kind === 'xds.connect') {
      node.connected += 1;
      return;
    }
    if (event.kind === 'xds.disconnect') {
      node.connected = Math.max(0, node.connected - 1);
      return;
    }
    const type = { ...(node.types.get(event.resourceKind) ?? EMPTY_TYPE) };
    if (event.kind === 'xds.push') {
      Object.assign(type, { pushedVersion: event.version, lastPushAt: event.time });
    } else if (event.kind === 'xds.ack') {
      Object.assign(type, { acceptedVersion: event.version, lastAckAt: event.time, rejectedVersion: null, error: null });
    } else {
      Object.assign(type, { rejectedVersion: event.version, error: event.error, lastNackAt: event.time });
    }
    node.types.set(event.resourceKind, type);
  }

  /** Status of every node seen, sorted by node id. */
  list(): NodeStatus[] {
    return [...this.#nodes.keys()].sort().map((nodeId) => this.#summarise(nodeId));
  }

  #summarise(nodeId: string): NodeStatus {
    const node = this.#nodes.get(nodeId);
    if (!node) throw new Error(`unknown node ${nodeId}`);
    const types = PUSH_ORDER.flatMap((kind) => {
      const type = node.types.get(kind);
      return type ? [[kind, type] as const] : [];
    });
    const latestPush = types.reduce<TypeStatus | undefined>(
      (latest, [, t]) => (!latest || (t.lastPushAt ?? '') > (latest.lastPushAt ?? '') ? t : latest),
      undefined,
    );
    const rejected = types.find(([, t]) => t.rejectedVersion !== null && t.rejectedVersion === t.pushedVersion)?.[1];
    const pending = types.some(([, t]) => t.pushedVersion !== t.acceptedVersion && t.pushedVersion !== t.rejectedVersion);
    const accepted = new Set(types.map(([, t]) => t.acceptedVersion));
    const nackWithError = types.find(([, t]) => t.error !== null)?.[1];
    return {
      nodeId,
      connected: node.connected > 0,
      state: rejected ? 'rejected' : pending ? 'pending' : 'accepted',
      pushedVersion: latestPush?.pushedVersion ?? null,
      lastPushAt: latestPush?.lastPushAt ?? null,
      acceptedVersion: accepted.size === 1 ? ([...accepted][0] ?? null) : null,
      rejectedVersion: nackWithError?.rejectedVersion ?? null,
      error: nackWithError?.error ?? null,
      updatedAt: node.updatedAt,
      types: Object.fromEntries(types),
    };
  }
}

/**
 * Writes JSON to `file` atomically: a temporary file in the same directory, then rename, so a
 * reader never sees half a document.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  await fs.rename(tmp, file);
}

/** Reads a status document written by the xDS server; throws when the file is missing or malformed. */
export async function readStatusFile(file: string): Promise<XdsStatusDocument> {
  const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
  if (!isStatusDocument(parsed)) throw new Error(`${file} is not an xDS status document`);
  return parsed;
}

/** Shape check of a status document from the API or the file. */
export function isStatusDocument(value: unknown): value is XdsStatusDocument {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Record<string, unknown>;
  return Array.isArray(doc['nodes']) && (doc['snapshotVersion'] === null || typeof doc['snapshotVersion'] === 'string');
}

/**
 * Persists status documents, coalescing bursts: at most one write in flight and one queued, the
 * queued one always carrying the newest document.
 */
export class StatusFileWriter {
  readonly #file: string;
  readonly #logger: Logger;
  #inFlight: Promise<void> | undefined;
  #queued: (() => XdsStatusDocument) | undefined;

  constructor(file: string, logger: Logger) {
    this.#file = file;
    this.#logger = logger;
  }

  /** Schedules a write of whatever `read()` returns when the write starts. */
  schedule(read: () => XdsStatusDocument): void {
    this.#queued = read;
    if (!this.#inFlight) this.#inFlight = this.#drain();
  }

  /** Resolves when every scheduled write has reached the disk. */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  async #drain(): Promise<void> {
    while (this.#queued) {
      const read = this.#queued;
      this.#queued = undefined;
      try {
        await writeJsonAtomic(this.#file, read());
      } catch (err) {
        this.#logger.error({ err, file: this.#file }, 'could not write xds status file');
      }
    }
    this.#inFlight = undefined;
  }
}
