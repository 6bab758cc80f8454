/**
 * Identity: who is calling. Compiles identity providers to Envoy's jwt_authn filter, turns the
 * claims jwt_authn verified into an `Identity` for the processor, and runs the demo OIDC issuer.
 */
export {
  DEFAULT_CLAIM_NAMES,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  MAX_VERIFIED_TOKEN_CACHE_SIZE,
  type ClaimNames,
  type Identity,
  type IdentityProviderSettings,
  type JwksSource,
} from './types.ts';
export {
  buildJwtAuthn,
  buildJwksCluster,
  jwksClusterName,
  IdentityConfigError,
  JWT_AUTHN_FILTER_NAME,
  JWT_AUTHN_TYPE_URL,
  JWT_PAYLOAD_METADATA_KEY,
  JWT_AUTHN_REFUSAL_CEL,
  jwtAuthnLocalReplyMapper,
  type JwtAuthnHttpFilter,
  type JwtAuthnResources,
} from './jwt-authn.ts';
export {
  identityFromClaims,
  identityFromMetadata,
  jwtPayloadFromMetadata,
  structToJson,
  type IdentityResult,
  type MetadataContextLike,
  type StructLike,
  type UnauthenticatedReason,
} from './claims.ts';
export {
  startDemoIssuer,
  mintDemoToken,
  demoIssuerKeyDir,
  loadOrCreateDemoIssuerKeys,
  requestDemoToken,
  DEMO_AUDIENCE,
  DEMO_CLIENT_ID,
  DEMO_RESOURCE,
  type DemoIssuer,
  type DemoIssuerKeys,
  type MintTokenOptions,
} from './demo-issuer.ts';
export { createBearerVerifier, ACCEPTED_JWT_ALGORITHMS, type BearerVerifier } from './verify.ts';
