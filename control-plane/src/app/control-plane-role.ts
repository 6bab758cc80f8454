import path from 'node:path';
import { accessApiRoutes } from '../access/index.ts';
import { startApiServer, type ApiRoute, type ApiServer } from '../api/index.ts';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import { GatewayError } from '../errors/index.ts';
import { createBearerVerifier, type BearerVerifier } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { toXdsSnapshot, type ActiveSnapshot, type DataPathPorts } from '../runtime/index.ts';
import type { SecretSources } from '../secrets/index.ts';
import { startXdsServer, xdsApiRoutes, type XdsEvent, type XdsServer } from '../xds/index.ts';
import { RetentionEnforcer } from './retention.ts';
import type { SharedState } from './shared.ts';

/** The xDS server and the control-plane HTTP API (health, xDS status, access requests). */
export interface ControlPlaneRole {
  readonly xds: XdsServer;
  readonly api: ApiServer;
  active(): ActiveSnapshot | undefined;
  /** Pushes a snapshot to Envoy and records its activation; throws, changing nothing, if it cannot be compiled. */
  apply(snapshot: ActiveSnapshot): void;
  close(): Promise<void>;
}

export async function startControlPlaneRole(
  config: Readonly<Config>,
  deps: { logger: Logger; clock: Clock; shared: SharedState; secrets: SecretSources; dataPath: DataPathPorts; routes?: readonly ApiRoute[] },
): Promise<ControlPlaneRole> {
  const { logger, clock, shared } = deps;
  const retention = new RetentionEnforcer({ audit: shared.audit, secrets: deps.secrets, home: config.home, logger });
  const xds = await startXdsServer({ host: config.host, port: config.ports.xds, logger, clock, statusFile: path.join(config.home, 'run', 'xds-status.json') });
  let active: ActiveSnapshot | undefined;
  let verifyBearer: BearerVerifier | undefined;
  const verify: BearerVerifier = (authorization) => {
    if (!verifyBearer) throw new GatewayError('policy_unavailable');
    return verifyBearer(authorization);
  };
  const api = await startApiServer({
    host: config.host,
    port: config.ports.api,
    routes: [
      { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok', snapshot: active?.ref.version ?? null } }) },
      ...xdsApiRoutes(xds),
      ...accessApiRoutes({ jit: shared.access, verify }),
      ...(deps.routes ?? []),
    ],
    logger,
  });

  // Versions pushed to Envoy → the snapshot they came from, so every ACK/NACK record names it.
  const pushed = new Map<string, { seq: number; sha256: string }>();
  xds.onEvent((event: XdsEvent) => {
    if (event.kind !== 'xds.ack' && event.kind !== 'xds.nack') return;
    const policy = pushed.get(event.version);
    if (!policy) return;
    const envoy = { nodeId: event.nodeId, versionInfo: event.version, nonce: event.nonce, ...(event.kind === 'xds.nack' ? { errorDetail: event.error } : {}) };
    shared.recordInBackground({ type: event.kind, envoy, policy });
  });

  return {
    xds,
    api,
    active: () => active,
    apply(snapshot) {
      const resources = toXdsSnapshot(snapshot, deps.dataPath);
      const nextVerifier = createBearerVerifier({ providers: snapshot.compiled.identityProviders, clock });
      const ref = { seq: snapshot.ref.seq, sha256: snapshot.ref.sha256 };
      verifyBearer = nextVerifier;
      shared.useSnapshot(snapshot);
      retention.apply(snapshot.compiled.retention);
      shared.access.syncPolicyGrants(snapshot.compiled.grants);
      pushed.set(snapshot.ref.version, ref);
      xds.setSnapshot(resources);
      active = snapshot;
      shared.recordInBackground({ type: 'policy.activated', policy: ref });
      logger.info({ version: snapshot.ref.version }, 'policy snapshot pushed to Envoy');
    },
    async close() {
      await retention.stop();
      await api.close();
      await xds.close();
    },
  };
}
