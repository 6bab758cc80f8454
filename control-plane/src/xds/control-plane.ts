import type { Clock } from '../clock/index.ts';
import type { Logger } from '../log/index.ts';
import { SnapshotCache } from './cache.ts';
import type { XdsEvent, XdsEventListener } from './events.ts';
import { startAdsServer } from './server.ts';
import type { XdsSnapshot } from './snapshot.ts';
import { NodeStatusBook, StatusFileWriter, type NodeStatus, type XdsStatusDocument } from './status.ts';

/** Options of {@link startXdsServer}. */
export interface XdsServerOptions {
  /** Loopback address to bind, e.g. `127.0.0.1`. */
  host: string;
  /** Port to bind; 0 picks a free one (read it back from {@link XdsServer.port}). */
  port: number;
  logger: Logger;
  clock: Clock;
  /** Where the per-node status is persisted (e.g. `<home>/run/xds-status.json`); none when omitted. */
  statusFile?: string;
}

/** A running xDS control plane: ADS server, snapshot cache and node status. */
export interface XdsServer {
  readonly port: number;
  /** Serves `snapshot` to every node from now on; streams waiting for an answer get it at once. */
  setSnapshot(snapshot: XdsSnapshot): void;
  /** The snapshot served now, if any. */
  currentSnapshot(): XdsSnapshot | undefined;
  /** Latest status of every node seen since start. */
  status(): NodeStatus[];
  /** The status document (served at `GET /v1/xds/status` and written to `statusFile`). */
  statusDocument(): XdsStatusDocument;
  /** Subscribes to push / ACK / NACK / connect / disconnect events; returns the unsubscribe function. */
  onEvent(listener: XdsEventListener): () => void;
  /** Resolves when the status file reflects every event so far. */
  flushStatus(): Promise<void>;
  /** Ends every stream, stops the gRPC server and flushes the status file. */
  close(): Promise<void>;
}

/**
 * Starts the xDS control plane. Each push and each ACK/NACK is logged with the node id and
 * emitted as an {@link XdsEvent}; the caller records `xds.ack` / `xds.nack` in the audit log.
 */
export async function startXdsServer(options: XdsServerOptions): Promise<XdsServer> {
  const logger = options.logger.child({ component: 'xds' });
  const cache = new SnapshotCache();
  const book = new NodeStatusBook();
  const listeners = new Set<XdsEventListener>();
  const writer = options.statusFile ? new StatusFileWriter(options.statusFile, logger) : undefined;
  const statusDocument = (): XdsStatusDocument => ({ snapshotVersion: cache.current()?.version ?? null, nodes: book.list() });

  const emit = (event: XdsEvent): void => {
    book.apply(event);
    writer?.schedule(statusDocument);
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        logger.error({ err, event: event.kind }, 'xds event listener failed');
      }
    }
  };

  const ads = await startAdsServer({ host: options.host, port: options.port, source: cache, emit, clock: options.clock, logger });
  writer?.schedule(statusDocument);

  return {
    port: ads.port,
    setSnapshot(snapshot) {
      logger.info({ version: snapshot.version, counts: snapshot.counts() }, 'xds snapshot set');
      cache.setSnapshot(snapshot);
      writer?.schedule(statusDocument);
    },
    currentSnapshot: () => cache.current(),
    status: () => book.list(),
    statusDocument,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flushStatus: async () => writer?.flush(),
    async close() {
      await ads.close();
      await writer?.flush();
    },
  };
}
