/** Which JWT claims carry the subject, the groups and the client id; set per identity provider by policy. */
export interface ClaimNames {
  subject: string;
  groups: string;
  clientId: string;
}

export const DEFAULT_CLAIM_NAMES: Readonly<ClaimNames> = Object.freeze({
  subject: 'sub',
  groups: 'groups',
  clientId: 'client_id',
});

/** Where the provider's signing keys come from: a fixed JWKS URL (no OIDC discovery) or an inline JWKS. */
export type JwksSource =
  | { uri: string; cacheDurationSeconds?: number; fetchTimeoutMs?: number }
  | { inline: string };

/** One trusted token issuer, as an `IdentityProvider` policy document describes it. */
export interface IdentityProviderSettings {
  /** Provider name inside the jwt_authn config; `[a-z0-9_-]+`. */
  name: string;
  /** Exact `iss` value tokens must carry. */
  issuer: string;
  /** Accepted `aud` values; at least one. */
  audiences: readonly string[];
  jwks: JwksSource;
  claims?: Partial<ClaimNames>;
  /** Tolerated clock skew for exp/nbf; default `DEFAULT_CLOCK_SKEW_SECONDS`. */
  clockSkewSeconds?: number;
  /**
   * How many verified tokens Envoy keeps, by exact token string, so a caller's next request skips
   * the signature check (one ES256 verification each). `exp`, `nbf`, issuer and audience are still
   * checked on every request. 0: verify every signature. Default `DEFAULT_VERIFIED_TOKEN_CACHE_SIZE`.
   */
  verifiedTokenCacheSize?: number;
}

/** Envoy's own default for jwt_authn, used for the control-plane API's bearer tokens too. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

/**
 * Envoy's own default size for the jwt_authn token cache. A key removed from the JWKS stops
 * verifying new tokens at once, but tokens already verified with it stay accepted until they
 * expire or fall out of the cache; a provider that needs removal to revoke at once sets 0.
 */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 100;
export const MAX_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** The verified caller of one request. */
export interface Identity {
  subject: string;
  groups: readonly string[];
  clientId: string | undefined;
  issuer: string;
}

