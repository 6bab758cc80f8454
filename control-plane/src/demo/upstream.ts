import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.ts';
import { DEMO_MODELS, embed, featuresOf, toBase64 } from './vectors.ts';

/** What the demo upstream saw of one request; tests use it to prove what did (not) reach the model. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface DemoUpstreamOptions {
  host: string;
  port: number;
  logger: Logger;
  /**
   * When set, requests must carry `Authorization: Bearer <key>` with one of these keys, like a real
   * provider (which accepts the old and the new key while a rotation is under way); else 401.
   */
  apiKey?: string | readonly string[];
  /** Serve https with this PEM key and certificate chain (tests of upstream TLS). */
  tls?: { key: string; cert: string };
  /** Called for every request before it is answered. */
  onRequest?: (request: ReceivedRequest) => void;
}

export interface DemoUpstream {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function openAIError(status: number, type: string, code: string, message: string): Reply {
  return { status, body: { error: { message, type, param: null, code } } };
}

type EmbeddingInput = string | number[];

function inputsOf(input: unknown): EmbeddingInput[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((item) => typeof item === 'string')) return input as string[];
  if (input.every((item) => typeof item === 'number')) return [input as number[]];
  if (input.every((item) => Array.isArray(item) && item.every((id) => typeof id === 'number'))) return input as number[][];
  return undefined;
}

function embeddings(body: Record<string, unknown>): Reply {
  const model = body.model;
  if (typeof model !== 'string' || !(model in DEMO_MODELS)) {
    return openAIError(404, 'invalid_request_error', 'model_not_found', `The model '${String(model)}' does not exist.`);
  }
  const inputs = inputsOf(body.input);
  if (!inputs) return openAIError(400, 'invalid_request_error', 'invalid_input', "'input' is invalid.");
  const native = DEMO_MODELS[model] as number;
  const dimensions = body.dimensions === undefined ? native : body.dimensions;
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > native) {
    return openAIError(400, 'invalid_request_error', 'invalid_dimensions', `'dimensions' must be 1..${native}.`);
  }
  const base64 = body.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const features = featuresOf(input);
    tokens += features.length;
    const vector = embed(features, dimensions);
    return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : Array.from(vector) };
  });
  return { status: 200, body: { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}

function models(): Reply {
  const data = Object.keys(DEMO_MODELS).map((id) => ({ id, object: 'model', created: 1767225600, owned_by: 'embguard-demo' }));
  return { status: 200, body: { object: 'list', data } };
}

function authorized(request: ReceivedRequest, apiKey: string | readonly string[] | undefined): boolean {
  if (apiKey === undefined) return true;
  const keys = typeof apiKey === 'string' ? [apiKey] : apiKey;
  return keys.some((key) => request.headers.authorization === `Bearer ${key}`);
}

function route(request: ReceivedRequest, apiKey: string | readonly string[] | undefined): Reply {
  if (!authorized(request, apiKey)) {
    return openAIError(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
  }
  if (request.method === 'GET' && request.path === '/v1/models') return models();
  if (request.method !== 'POST' || request.path !== '/v1/embeddings') {
    return openAIError(404, 'invalid_request_error', 'unknown_url', 'Unknown request URL.');
  }
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return openAIError(400, 'invalid_request_error', 'invalid_json', 'The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return openAIError(400, 'invalid_request_error', 'invalid_body', 'The body must be a JSON object.');
  }
  return embeddings(body as Record<string, unknown>);
}

/**
 * An OpenAI-compatible embeddings server with deterministic vectors, so the whole stack runs with
 * no outside service. Clearly a demo: it serves only the `demo-embed*` models.
 */
export async function startDemoUpstream(options: DemoUpstreamOptions): Promise<DemoUpstream> {
  const logger = options.logger.child({ component: 'demo-upstream' });
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://demo');
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      options.onRequest?.(received);
      const reply =
        size > MAX_BODY_BYTES
          ? openAIError(413, 'invalid_request_error', 'body_too_large', 'The body is too large.')
          : route(received, options.apiKey);
      const json = JSON.stringify(reply.body);
      logger.debug({ method: received.method, path: received.path, status: reply.status }, 'demo upstream request');
      res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    });
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
