import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.ts';
import { GatewayError, toOpenAIError } from '../errors/index.ts';

/** One route of the control-plane HTTP API (health, xDS status, access requests, approvals). */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, or a pattern with `:name` segments, e.g. `/v1/access/requests/:id/approve`. */
  path: string;
  handle(request: ApiRequest): Promise<ApiResponse> | ApiResponse;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, `undefined` when there is none. */
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_API_BODY_BYTES = 64 * 1024;

function matchPath(pattern: string, actual: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = actual.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const value = got[i] as string;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(value);
    else if (segment !== value) return undefined;
  }
  return params;
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_API_BODY_BYTES) throw new GatewayError('body_too_large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new GatewayError('invalid_json', { cause });
  }
}

/**
 * Starts the control-plane HTTP API on loopback. Errors use the same OpenAI error shape as the
 * data path so one client library handles both.
 */
export async function startApiServer(options: {
  host: string;
  port: number;
  routes: readonly ApiRoute[];
  logger: Logger;
}): Promise<ApiServer> {
  const logger = options.logger.child({ component: 'api' });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    };
    const candidates = options.routes.filter((route) => matchPath(route.path, url.pathname));
    const route = candidates.find((candidate) => candidate.method === req.method);
    if (!route) {
      const err = new GatewayError(candidates.length > 0 ? 'method_not_allowed' : 'not_found');
      const { status, body } = toOpenAIError(err);
      send(status, body);
      return;
    }
    const params = matchPath(route.path, url.pathname) ?? {};
    readJsonBody(req)
      .then((body) => route.handle({ params, query: url.searchParams, headers: req.headers, body }))
      .then((response) => send(response.status, response.body))
      .catch((err: unknown) => {
        if (!(err instanceof GatewayError)) logger.error({ err, path: url.pathname }, 'api handler failed');
        const { status, body } = toOpenAIError(err);
        send(status, body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
