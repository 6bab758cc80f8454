// oidc-provider 9 ships no type declarations; this declares only the surface demo-issuer.ts uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextLike {
    get(header: string): string;
  }

  export interface TokenLike {
    clientId?: string;
  }

  export interface JwtStructuredToken {
    header: Record<string, unknown> | undefined;
    payload: Record<string, unknown>;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience: string;
    accessTokenTTL: number;
    accessTokenFormat: 'jwt' | 'opaque';
    jwt?: { sign?: { alg: string } };
  }

  export interface ProviderConfiguration {
    clients: Record<string, unknown>[];
    jwks: { keys: Record<string, unknown>[] };
    cookies?: { keys: string[] };
    clientDefaults?: Record<string, unknown>;
    ttl?: { ClientCredentials?: (ctx: KoaContextLike, token: TokenLike) => number };
    scopes?: string[];
    features: Record<string, unknown>;
    extraTokenClaims?: (ctx: KoaContextLike, token: TokenLike) => Promise<Record<string, unknown> | undefined>;
    formats?: {
      customizers?: {
        jwt?: (ctx: KoaContextLike, token: TokenLike, jwt: JwtStructuredToken) => Promise<void> | void;
      };
    };
    renderError?: unknown;
  }

  export default class Provider {
    constructor(issuer: string, configuration: ProviderConfiguration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
