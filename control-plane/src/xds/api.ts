import type { ApiRoute } from '../api/index.ts';
import type { XdsStatusDocument } from './status.ts';

/** Path of the node status endpoint of the control-plane HTTP API. */
export const XDS_STATUS_PATH = '/v1/xds/status';

/** The control-plane API routes of the xDS capability: `GET /v1/xds/status`. */
export function xdsApiRoutes(server: { statusDocument(): XdsStatusDocument }): ApiRoute[] {
  return [{ method: 'GET', path: XDS_STATUS_PATH, handle: () => ({ status: 200, body: server.statusDocument() }) }];
}
