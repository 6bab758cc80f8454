import * as grpc from '@grpc/grpc-js';
import { loadEnvoyProtos } from '../../control-plane/src/protos/index.ts';
import type { DiscoveryRequest } from '../../control-plane/src/generated/envoy/service/discovery/v3/DiscoveryRequest.ts';
import type { DiscoveryResponse__Output } from '../../control-plane/src/generated/envoy/service/discovery/v3/DiscoveryResponse.ts';

/**
 * A scripted ADS client: plays Envoy's side of one `StreamAggregatedResources` stream, request by
 * request, and hands back responses in arrival order. For tests and the fan-out benchmark.
 */
export class ScriptedAdsClient {
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse__Output>;
  readonly #responses: DiscoveryResponse__Output[] = [];
  readonly #waiters: ((response: DiscoveryResponse__Output) => void)[] = [];
  #status: grpc.StatusObject | undefined;
  readonly #statusWaiters: ((status: grpc.StatusObject) => void)[] = [];
  readonly #lastNonce = new Map<string, string>();

  constructor(port: number) {
    const Ads = loadEnvoyProtos().envoy.service.discovery.v3.AggregatedDiscoveryService;
    const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.#client = client;
    this.#call = client.StreamAggregatedResources();
    this.#call.on('data', (response: DiscoveryResponse__Output) => {
      this.#lastNonce.set(response.type_url, response.nonce);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(response);
      else this.#responses.push(response);
    });
    this.#call.on('status', (status: grpc.StatusObject) => {
      this.#status = status;
      for (const waiter of this.#statusWaiters.splice(0)) waiter(status);
    });
    this.#call.on('error', () => undefined);
  }

  /** Sends one DiscoveryRequest. */
  send(request: DiscoveryRequest): void {
    this.#call.write(request);
  }

  /** The next response not yet taken; rejects after `timeoutMs`. */
  next(timeoutMs = 5_000): Promise<DiscoveryResponse__Output> {
    const queued = this.#responses.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(onResponse), 1);
        reject(new Error(`no DiscoveryResponse within ${timeoutMs} ms`));
      }, timeoutMs);
      const onResponse = (response: DiscoveryResponse__Output) => {
        clearTimeout(timer);
        resolve(response);
      };
      this.#waiters.push(onResponse);
    });
  }

  /** The stream's final gRPC status, once the server ends it. */
  status(): Promise<grpc.StatusObject> {
    if (this.#status) return Promise.resolve(this.#status);
    return new Promise((resolve) => this.#statusWaiters.push(resolve));
  }

  /** Nonce of the latest response received for `typeUrl` ('' before the first). */
  lastNonce(typeUrl: string): string {
    return this.#lastNonce.get(typeUrl) ?? '';
  }

  /** Sends an ACK for `response`. */
  ack(response: DiscoveryResponse__Output, resourceNames: readonly string[] = []): void {
    this.send({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: [...resourceNames] });
  }

  /** Ends the stream from the client side and closes the channel. */
  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}
