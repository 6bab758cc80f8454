import type { ApiRoute } from '../api/index.ts';
import type { UpstreamCredentials } from './store.ts';

/** Path of the reload route (`embguard creds reload` posts here). */
export const CREDENTIALS_RELOAD_PATH = '/v1/credentials/reload';

/**
 * Control-plane API routes: list the credentials in force (references and fingerprints) and
 * re-read them. Neither takes input nor returns a value, and the API listens on loopback only.
 */
export function credentialApiRoutes(credentials: UpstreamCredentials): ApiRoute[] {
  return [
    { method: 'GET', path: '/v1/credentials', handle: () => ({ status: 200, body: { credentials: credentials.list() } }) },
    { method: 'POST', path: CREDENTIALS_RELOAD_PATH, handle: () => ({ status: 200, body: credentials.reload() }) },
  ];
}
