import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock/index.ts';
import type { Logger } from '../log/index.ts';
import { loadEnvoyProtos } from '../protos/index.ts';
import type { ExternalProcessorHandlers } from '../generated/envoy/service/ext_proc/v3/ExternalProcessor.ts';
import { Exchange } from './exchange.ts';
import type { ProcessingRequest, ProcessingResponse } from './messages.ts';
import type { PolicySource } from './policy.ts';
import type { ExchangeRecorder } from './record.ts';
import type { GrantWindow } from '../access/index.ts';
import type { CredentialSource } from './credentials.ts';

/**
 * gRPC message size limit of the processor. Envoy sends a BUFFERED body as one message, so this
 * must exceed the largest body the listener buffers (see the xDS listener's buffer limit).
 */
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ProcessorOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  policy: PolicySource;
  recorder: ExchangeRecorder;
  /** Time-bound grants active now; none when omitted. */
  grants?: () => readonly GrantWindow[];
  clock: Clock;
  logger: Logger;
  newRequestId?: () => string;
  /** Upstream credentials added as header mutations; required when the policy names any. */
  credentials?: CredentialSource;
}

export interface ProcessorServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The ext_proc stream loop: one `Exchange` per stream, messages answered strictly in order, exactly
 * one reply each. The stream is never ended with OK early: Envoy would carry on without us.
 */
function processStream(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>, createExchange: () => Exchange, logger: Logger): void {
  const exchange = createExchange();
  let queue: Promise<void> = Promise.resolve();
  let failed = false;
  call.on('data', (message: ProcessingRequest) => {
    queue = queue.then(async () => {
      if (failed) return;
      try {
        call.write(await exchange.handle(message));
      } catch (err) {
        failed = true;
        logger.error({ err, requestId: exchange.requestId }, 'ext_proc stream failed');
        // A non-OK status makes Envoy fail the request (failure_mode_allow is false): fail closed.
        call.emit('error', { code: grpc.status.INTERNAL, details: 'embguard processor error' });
      }
    });
  });
  call.on('end', () => {
    void queue.then(() => {
      exchange.end();
      if (!failed) call.end();
    });
  });
  call.on('cancelled', () => {
    void queue.then(() => exchange.end());
  });
  call.on('error', (err) => logger.debug({ err, requestId: exchange.requestId }, 'ext_proc stream error'));
}

/** Starts the `envoy.service.ext_proc.v3.ExternalProcessor` gRPC service on loopback. */
export async function startProcessor(options: ProcessorOptions): Promise<ProcessorServer> {
  const logger = options.logger.child({ component: 'processor' });
  const protos = loadEnvoyProtos();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  });
  const createExchange = () =>
    new Exchange({
      policy: options.policy,
      recorder: options.recorder,
      grants: options.grants ?? (() => []),
      clock: options.clock,
      logger,
      newRequestId: options.newRequestId ?? randomUUID,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  const handlers: ExternalProcessorHandlers = {
    Process: (call) => processStream(call, createExchange, logger),
  };
  server.addService(protos.envoy.service.ext_proc.v3.ExternalProcessor.service, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  logger.info({ port }, 'ext_proc processor listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams held open by Envoy would keep tryShutdown waiting forever.
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
}
