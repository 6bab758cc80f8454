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
  /** Tolerated clock skew for exp/nbf; Envoy's default is 60 s. */
  clockSkewSeconds?: number;
}

/** The verified caller of one request. */
export interface Identity {
  subject: string;
  groups: readonly string[];
  clientId: string | undefined;
  issuer: string;
}

