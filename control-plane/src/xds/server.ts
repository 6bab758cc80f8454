import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../clock/index.ts';
import { isoTime } from '../clock/index.ts';
import { loadEnvoyProtos } from '../protos/index.ts';
import type { DiscoveryRequest__Output } from '../generated/envoy/service/discovery/v3/DiscoveryRequest.ts';
import type { DiscoveryResponse } from '../generated/envoy/service/discovery/v3/DiscoveryResponse.ts';
import type { AggregatedDiscoveryServiceHandlers } from '../generated/envoy/service/discovery/v3/AggregatedDiscoveryService.ts';
import type { SnapshotSource } from './cache.ts';
import type { XdsEvent } from './events.ts';
import { FULL_STATE, PUSH_ORDER, TYPE_URLS, kindOfTypeUrl, type ResourceKind } from './type-urls.ts';

/** Per stream, per resource type: what was sent last and whether Envoy is waiting for an answer. */
interface TypeState {
  /** Nonce of the latest response on this stream; only a request echoing it counts. */
  nonce: string | undefined;
  sentVersion: string | undefined;
  /** Requested names the last response answered (sorted, joined); `*` for full-state types. */
  sentNamesKey: string | undefined;
  requestedNames: readonly string[];
  /** True when the latest valid request has not been answered yet: at most one reply per request. */
  awaitingReply: boolean;
}

/** What an {@link AdsStream} needs from its surroundings. */
export interface AdsStreamDeps {
  source: SnapshotSource;
  send(response: DiscoveryResponse): void;
  emit(event: XdsEvent): void;
  /** Strictly increasing nonces, shared by all streams of a server. */
  nextNonce(): string;
  clock: Clock;
  logger: Logger;
}

/** Thrown for a protocol violation that ends the stream (e.g. no node id in the first request). */
export class AdsProtocolError extends Error {
  override name = 'AdsProtocolError';
}

/**
 * The State-of-the-World ADS state machine of one stream. It knows resource kinds, versions and
 * nonces, nothing of policy. Rules, with the spec sections they come from
 * (https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol):
 * - the node id is only guaranteed in the first request ("Node identifier"): it is kept from there;
 * - a request whose `response_nonce` is not the latest nonce sent for its type is stale and
 *   ignored ("Resource updates", "When to send an update");
 * - with the latest nonce and no `error_detail` it is an ACK, with `error_detail` a NACK
 *   ("ACK/NACK and resource type instance version"); a NACKed version is parked and never resent;
 * - each type gets one response per request, LDS/CDS with every resource, RDS/EDS with the
 *   names requested; on a new snapshot types go out clusters → endpoints → listeners → routes.
 */
export class AdsStream {
  readonly #deps: AdsStreamDeps;
  readonly #types = new Map<ResourceKind, TypeState>();
  #nodeId: string | undefined;
  #logger: Logger;

  constructor(deps: AdsStreamDeps) {
    this.#deps = deps;
    this.#logger = deps.logger;
  }

  /** The node id from the first request, once known. */
  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  /** Handles one request from Envoy; throws {@link AdsProtocolError} when the stream must end. */
  handle(request: DiscoveryRequest__Output): void {
    const nodeId = this.#rememberNode(request);
    const kind = kindOfTypeUrl(request.type_url);
    if (!kind) {
      this.#logger.debug({ typeUrl: request.type_url }, 'xds request for a type we do not serve; ignored');
      return;
    }
    const state = this.#state(kind);
    if (state.nonce !== undefined && request.response_nonce !== state.nonce) {
      this.#logger.debug({ kind, nonce: request.response_nonce, latest: state.nonce }, 'stale nonce; ignored');
      return;
    }
    if (state.nonce !== undefined) this.#recordReply(nodeId, kind, state, request);
    state.requestedNames = [...request.resource_names];
    state.awaitingReply = true;
    this.#respond(kind);
  }

  /** Answers every type still waiting, in push order, after the snapshot changed. */
  snapshotChanged(): void {
    if (this.#nodeId === undefined) return;
    for (const kind of PUSH_ORDER) this.#respond(kind);
  }

  #rememberNode(request: DiscoveryRequest__Output): string {
    if (this.#nodeId === undefined) {
      const id = request.node?.id;
      if (!id) throw new AdsProtocolError('the first DiscoveryRequest must carry node.id');
      this.#nodeId = id;
      this.#logger = this.#logger.child({ nodeId: id });
      this.#deps.emit({ kind: 'xds.connect', nodeId: id, time: isoTime(this.#deps.clock) });
    }
    return this.#nodeId;
  }

  #state(kind: ResourceKind): TypeState {
    let state = this.#types.get(kind);
    if (!state) {
      state = { nonce: undefined, sentVersion: undefined, sentNamesKey: undefined, requestedNames: [], awaitingReply: false };
      this.#types.set(kind, state);
    }
    return state;
  }

  #recordReply(nodeId: string, kind: ResourceKind, state: TypeState, request: DiscoveryRequest__Output): void {
    const common = { nodeId, resourceKind: kind, typeUrl: TYPE_URLS[kind], nonce: request.response_nonce, time: isoTime(this.#deps.clock) };
    const version = state.sentVersion ?? '';
    if (request.error_detail) {
      const error = request.error_detail.message || `error code ${request.error_detail.code}`;
      this.#deps.source.park(nodeId, kind, version);
      this.#logger.warn({ kind, version, acceptedVersion: request.version_info, error }, 'xds NACK');
      this.#deps.emit({ kind: 'xds.nack', ...common, version, acceptedVersion: request.version_info, error });
    } else {
      this.#logger.info({ kind, version: request.version_info }, 'xds ACK');
      this.#deps.emit({ kind: 'xds.ack', ...common, version: request.version_info });
    }
  }

  #respond(kind: ResourceKind): void {
    const state = this.#state(kind);
    const nodeId = this.#nodeId;
    if (!state.awaitingReply || nodeId === undefined) return;
    const snapshot = this.#deps.source.snapshotFor(nodeId);
    if (!snapshot || this.#deps.source.isParked(nodeId, kind, snapshot.version)) return;
    const namesKey = FULL_STATE[kind] ? '*' : [...new Set(state.requestedNames)].sort().join('\n');
    if (state.sentVersion === snapshot.version && state.sentNamesKey === namesKey) return;
    const resources = FULL_STATE[kind] ? snapshot.all(kind) : snapshot.named(kind, state.requestedNames);
    const typeUrl = TYPE_URLS[kind];
    const nonce = this.#deps.nextNonce();
    this.#deps.send({
      version_info: snapshot.version,
      type_url: typeUrl,
      nonce,
      resources: resources.map((resource) => ({ '@type': typeUrl, ...resource })),
    });
    Object.assign(state, { nonce, sentVersion: snapshot.version, sentNamesKey: namesKey, awaitingReply: false });
    this.#logger.info({ kind, version: snapshot.version, nonce, resources: resources.length }, 'xds push');
    this.#deps.emit({
      kind: 'xds.push',
      nodeId,
      resourceKind: kind,
      typeUrl,
      version: snapshot.version,
      nonce,
      resourceCount: resources.length,
      time: isoTime(this.#deps.clock),
    });
  }
}

/** Options of {@link startAdsServer}. */
export interface AdsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  source: SnapshotSource;
  emit(event: XdsEvent): void;
  clock: Clock;
  logger: Logger;
}

/** A running gRPC server with the ADS service. */
export interface AdsServer {
  readonly port: number;
  /** Number of open ADS streams. */
  streamCount(): number;
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2_000;
const KEEPALIVE_TIME_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 10_000;

/** Ends a server stream with a gRPC status: grpc-js turns an emitted error into the trailers. */
function endWithStatus(call: NodeJS.EventEmitter, code: grpc.status, details: string): void {
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

/** Serves `AggregatedDiscoveryService` (SotW only; Delta answers UNIMPLEMENTED) on loopback. */
export async function startAdsServer(options: AdsServerOptions): Promise<AdsServer> {
  const logger = options.logger;
  const service = loadEnvoyProtos().envoy.service.discovery.v3.AggregatedDiscoveryService.service;
  const calls = new Set<grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>>();
  let nonce = 0;
  const nextNonce = () => String(++nonce);

  const handlers: AggregatedDiscoveryServiceHandlers = {
    StreamAggregatedResources(call) {
      calls.add(call);
      const stream = new AdsStream({
        source: options.source,
        send: (response) => call.write(response),
        emit: options.emit,
        nextNonce,
        clock: options.clock,
        logger,
      });
      const unwatch = options.source.watch(() => stream.snapshotChanged());
      let closed = false;
      const finish = () => {
        if (closed) return;
        closed = true;
        unwatch();
        calls.delete(call);
        if (stream.nodeId !== undefined) {
          options.emit({ kind: 'xds.disconnect', nodeId: stream.nodeId, time: isoTime(options.clock) });
        }
      };
      call.on('data', (request: DiscoveryRequest__Output) => {
        try {
          stream.handle(request);
        } catch (err) {
          logger.warn({ err }, 'xds stream ended: protocol error');
          endWithStatus(call, grpc.status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
          finish();
        }
      });
      call.on('end', () => {
        finish();
        call.end();
      });
      call.on('error', (err) => {
        logger.debug({ err }, 'xds stream error');
        finish();
      });
      call.on('cancelled', finish);
      call.on('close', finish);
    },
    DeltaAggregatedResources(call) {
      endWithStatus(call, grpc.status.UNIMPLEMENTED, 'Delta xDS is not supported; use State of the World ADS');
    },
  };

  const server = new grpc.Server({
    // HTTP/2 pings find an Envoy that vanished without closing its stream, so status shows it.
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  });
  server.addService(service, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  logger.info({ host: options.host, port }, 'xds server listening');

  return {
    port,
    streamCount: () => calls.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of calls) call.end();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
