/**
 * Upstream credentials: each upstream's provider key, resolved from its policy reference
 * (`env:NAME` / `file:PATH`) inside the processor, added by the processor as a header mutation,
 * re-read on change, and known to the rest of the system only by its keyed fingerprint.
 * See docs/adr/0001-upstream-credentials.md.
 */
export {
  UpstreamCredentials,
  CredentialResolutionError,
  rotationAuditEvent,
  type UpstreamCredentialRef,
  type UpstreamCredentialsOptions,
  type CredentialHeader,
  type CredentialState,
  type CredentialRotation,
  type CredentialReloadFailure,
  type CredentialReloadResult,
} from './store.ts';
export { credentialFingerprint, loadFingerprintKey, fingerprintKeyFile } from './fingerprint.ts';
export { credentialApiRoutes, CREDENTIALS_RELOAD_PATH } from './api.ts';
