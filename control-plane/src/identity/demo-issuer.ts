import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KoaContextLike, ProviderConfiguration } from 'oidc-provider';
import type { Logger } from '../log/index.ts';

/** `aud` of demo tokens, and the resource indicator (RFC 8707) the demo client asks for. */
export const DEMO_AUDIENCE = 'embguard-gateway';
export const DEMO_RESOURCE = 'urn:embguard:gateway';
export const DEMO_CLIENT_ID = 'embguard-demo';
const DEMO_SCOPE = 'embeddings';
const SIGNING_ALG = 'ES256';
const KEY_FILE = 'demo-issuer-signing-key.json';
const CLIENT_FILE = 'demo-issuer-client.json';
const DEFAULT_TTL_SECONDS = 3600;
const MAX_TTL_SECONDS = 24 * 3600;

/**
 * Request headers through which the demo client names the subject of the token it wants. Only the
 * demo client (whose secret lives under EMBGUARD_HOME) can reach the token endpoint, so only the
 * local operator can mint; a real issuer derives these from a login instead.
 */
const HEADER = {
  subject: 'x-embguard-demo-sub',
  groups: 'x-embguard-demo-groups',
  clientId: 'x-embguard-demo-client-id',
  ttl: 'x-embguard-demo-ttl',
} as const;

/** The persistent secrets of the demo issuer, so tokens stay valid across restarts. */
export interface DemoIssuerKeys {
  /** Private signing JWK (ES256) with its `kid`. */
  signingKey: JWK & { kid: string };
  client: { client_id: string; client_secret: string };
}

export interface MintTokenOptions {
  sub: string;
  groups?: readonly string[];
  /** `client_id` claim; the demo client's id by default. */
  clientId?: string;
  /** Lifetime in seconds; 1 hour by default. */
  ttl?: number;
}

export interface DemoIssuer {
  /** The `iss` of every token, e.g. `http://127.0.0.1:18004`. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly audience: string;
  readonly port: number;
  close(): Promise<void>;
  /** A signed client-credentials access token (JWT) for the given subject and groups. */
  mintToken(options: MintTokenOptions): Promise<string>;
}

function writeSecretFile(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Loads the demo issuer's signing key and client secret from `keyDir`, creating them on first use. */
export async function loadOrCreateDemoIssuerKeys(keyDir: string): Promise<DemoIssuerKeys> {
  fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(keyDir, KEY_FILE);
  const clientFile = path.join(keyDir, CLIENT_FILE);
  if (!fs.existsSync(keyFile)) {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    writeSecretFile(keyFile, { ...jwk, alg: SIGNING_ALG, use: 'sig', kid: crypto.randomUUID() });
  }
  if (!fs.existsSync(clientFile)) {
    writeSecretFile(clientFile, { client_id: DEMO_CLIENT_ID, client_secret: crypto.randomBytes(32).toString('base64url') });
  }
  const signingKey = readJsonFile<DemoIssuerKeys['signingKey']>(keyFile);
  const client = readJsonFile<DemoIssuerKeys['client']>(clientFile);
  if (!signingKey?.kid || !client?.client_secret) throw new Error(`demo issuer key files in ${keyDir} are unreadable`);
  return { signingKey, client };
}

function headerList(ctx: KoaContextLike, name: string): string[] {
  const raw = ctx.get(name);
  if (!raw) return [];
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}

function requestedTtl(ctx: KoaContextLike): number {
  const ttl = Number(ctx.get(HEADER.ttl));
  return Number.isInteger(ttl) && ttl > 0 ? Math.min(ttl, MAX_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
}

function providerConfiguration(keys: DemoIssuerKeys, audience: string): ProviderConfiguration {
  return {
    clients: [
      {
        ...keys.client,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: DEMO_SCOPE,
      },
    ],
    jwks: { keys: [keys.signingKey] },
    // The keystore holds only the ES256 key; the default (RS256) would make the client invalid.
    clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
    cookies: { keys: [crypto.createHash('sha256').update(keys.client.client_secret).digest('base64url')] },
    scopes: [DEMO_SCOPE],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      // RFC 8707: the token is for one resource server, which fixes `aud` and makes the format JWT.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DEMO_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx: KoaContextLike, resourceIndicator: string) => {
          if (resourceIndicator !== DEMO_RESOURCE) throw new Error('unknown resource indicator');
          return {
            scope: DEMO_SCOPE,
            audience,
            accessTokenTTL: requestedTtl(ctx),
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
    },
    ttl: { ClientCredentials: (ctx: KoaContextLike) => requestedTtl(ctx) },
    extraTokenClaims: async (ctx) => ({ groups: headerList(ctx, HEADER.groups) }),
    formats: {
      customizers: {
        // oidc-provider writes `sub: client_id` for client credentials; the demo names a person instead.
        jwt: (ctx, _token, jwt) => {
          const subject = ctx.get(HEADER.subject);
          if (subject) jwt.payload.sub = subject;
          const clientId = ctx.get(HEADER.clientId);
          if (clientId) jwt.payload.client_id = clientId;
          jwt.payload.nbf = jwt.payload.iat;
        },
      },
    },
  };
}

/**
 * Asks a running demo issuer's token endpoint for a token (client credentials grant, RFC 6749 §4.4)
 * on behalf of `options.sub`.
 */
export async function requestDemoToken(
  tokenEndpoint: string,
  client: DemoIssuerKeys['client'],
  options: MintTokenOptions,
): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64');
  const headers: Record<string, string> = {
    authorization: `Basic ${basic}`,
    'content-type': 'application/x-www-form-urlencoded',
    [HEADER.subject]: options.sub,
    [HEADER.groups]: JSON.stringify(options.groups ?? []),
  };
  if (options.clientId) headers[HEADER.clientId] = options.clientId;
  if (options.ttl) headers[HEADER.ttl] = String(options.ttl);
  const body = new URLSearchParams({ grant_type: 'client_credentials', resource: DEMO_RESOURCE, scope: DEMO_SCOPE });
  const response = await fetch(tokenEndpoint, { method: 'POST', headers, body });
  const json = (await response.json()) as { access_token?: unknown; error?: unknown; error_description?: unknown };
  if (!response.ok || typeof json.access_token !== 'string') {
    const reason = `${String(json.error ?? '')} ${String(json.error_description ?? '')}`.trim();
    throw new Error(`demo issuer refused the token request: ${response.status} ${reason}`);
  }
  return json.access_token;
}

/**
 * Starts the demo OIDC issuer (the real `oidc-provider`) on loopback. It issues client-credentials
 * access tokens as ES256 JWTs (`sub`, `groups`, `client_id`, `aud`, `iss`, `iat`, `nbf`, `exp`) and
 * serves its JWKS at `jwksUri` for Envoy's `remote_jwks`. `issuer` defaults to
 * `http://<host>:<port>`; pass it when the listening port differs from the advertised one.
 */
export async function startDemoIssuer(options: {
  host?: string;
  port: number;
  keyDir: string;
  logger: Logger;
  issuer?: string;
  audience?: string;
}): Promise<DemoIssuer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger.child({ component: 'demo-issuer' });
  const keys = await loadOrCreateDemoIssuerKeys(options.keyDir);
  const audience = options.audience ?? DEMO_AUDIENCE;
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = options.issuer ?? `http://${host}:${port}`;
  // Loaded on first use: every CLI command imports this module, and oidc-provider warns at load time on Node 20.
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, providerConfiguration(keys, audience));
  provider.on('server_error', (_ctx, err) => logger.error({ err }, 'demo issuer error'));
  server.on('request', provider.callback());
  const tokenEndpoint = `http://${host}:${port}/token`;
  logger.info({ issuer, port }, 'demo OIDC issuer started');
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint,
    audience,
    port,
    mintToken: (mint) => requestDemoToken(tokenEndpoint, keys.client, mint),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Where the demo issuer keeps its signing key and client secret under EMBGUARD_HOME. */
export function demoIssuerKeyDir(home: string): string {
  return path.join(home, 'keys', 'demo-issuer');
}

function isConnectionRefused(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  return cause?.code === 'ECONNREFUSED';
}

/**
 * A demo token for `embguard token --demo`: asks the demo issuer running on `port`, or, when none
 * runs, starts one briefly on a free port that signs as `http://<host>:<port>` with the same
 * persistent key, so the token is valid for the gateway either way.
 */
export async function mintDemoToken(
  options: { home: string; host?: string; port: number; logger: Logger } & MintTokenOptions,
): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  const keyDir = demoIssuerKeyDir(options.home);
  const keys = await loadOrCreateDemoIssuerKeys(keyDir);
  try {
    return await requestDemoToken(`http://${host}:${options.port}/token`, keys.client, options);
  } catch (err) {
    if (!isConnectionRefused(err)) throw err;
  }
  const issuer = await startDemoIssuer({ host, port: 0, keyDir, logger: options.logger, issuer: `http://${host}:${options.port}` });
  try {
    return await issuer.mintToken(options);
  } finally {
    await issuer.close();
  }
}
