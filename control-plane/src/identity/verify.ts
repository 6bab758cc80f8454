import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors as joseErrors,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import type { Clock } from '../clock/index.ts';
import { GatewayError } from '../errors/index.ts';
import { identityFromClaims } from './claims.ts';
import { DEFAULT_CLOCK_SKEW_SECONDS, type Identity, type IdentityProviderSettings } from './types.ts';

/**
 * Asymmetric algorithms only: accepting HS* would let anyone holding the public key forge tokens,
 * and `none` is never acceptable (RFC 8725 §2.1, §3.1).
 */
export const ACCEPTED_JWT_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** Verifies the bearer token of a control-plane API call and names its caller. */
export type BearerVerifier = (authorization: string | string[] | undefined) => Promise<Identity>;

function keySetFor(provider: IdentityProviderSettings): JWTVerifyGetKey {
  if ('uri' in provider.jwks) return createRemoteJWKSet(new URL(provider.jwks.uri), { cooldownDuration: 5_000 });
  return createLocalJWKSet(JSON.parse(provider.jwks.inline) as Parameters<typeof createLocalJWKSet>[0]);
}

function unauthenticated(cause?: unknown): GatewayError {
  return new GatewayError('unauthenticated', { cause });
}

/**
 * A verifier for the control-plane API with the same rules Envoy applies on the data path: the
 * token comes from `Authorization: Bearer`, its issuer must be a configured provider, the signature
 * must verify with that provider's JWKS, `aud` must match, `exp` is required, `nbf`/`exp` are
 * checked against `clock` with the provider's skew. Any failure is a 401 `unauthenticated`.
 */
export function createBearerVerifier(options: {
  providers: readonly IdentityProviderSettings[];
  clock: Clock;
}): BearerVerifier {
  const keySets = new Map(options.providers.map((provider) => [provider.issuer, keySetFor(provider)]));
  return async (authorization) => {
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!match?.[1]) throw unauthenticated();
    const token = match[1];
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch (cause) {
      throw unauthenticated(cause);
    }
    const provider = options.providers.find((candidate) => candidate.issuer === issuer);
    const keySet = provider && keySets.get(provider.issuer);
    if (!provider || !keySet) throw unauthenticated();
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: provider.issuer,
        audience: [...provider.audiences],
        algorithms: [...ACCEPTED_JWT_ALGORITHMS],
        requiredClaims: ['exp'],
        clockTolerance: provider.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
        currentDate: new Date(options.clock.now()),
      });
      const result = identityFromClaims(payload, [provider]);
      if (!result.ok) throw unauthenticated();
      return result.identity;
    } catch (cause) {
      if (cause instanceof GatewayError) throw cause;
      if (cause instanceof joseErrors.JOSEError) throw unauthenticated(cause);
      throw cause;
    }
  };
}
