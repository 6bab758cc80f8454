import type { JitAccess } from '../access/index.ts';
import type { ApiServer } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import { credentialApiRoutes, type UpstreamCredentials } from '../credentials/index.ts';
import type { Logger } from '../log/index.ts';
import type { ProcessorServer } from '../processor/index.ts';
import type { ActiveSnapshot } from '../runtime/index.ts';
import type { SecretSources } from '../secrets/index.ts';
import type { ReloadOutcome } from '../snapshot/index.ts';
import type { XdsEventListener, XdsServer } from '../xds/index.ts';
import { startControlPlaneRole } from './control-plane-role.ts';
import { startProcessorRole } from './processor-role.ts';
import { openSharedState } from './shared.ts';
import { lastEnforcedSeq, openSnapshotFeed } from './snapshots.ts';

export interface AppDeps {
  logger: Logger;
  clock: Clock;
  /** Extra environment for `env:` secret references (the demo's generated keys). */
  secretEnv?: Readonly<Record<string, string>>;
  /** Clients connect here instead of the policy's listener address (tests use free ports). */
  listener?: { host: string; port: number };
  /** Reload when the snapshot directory changes (off in tests, which call `reloadSnapshots`). */
  watchSnapshots?: boolean;
}

/** Control plane and processor in one process; Envoy runs beside it. */
export interface App {
  readonly audit: AuditLog;
  readonly access: JitAccess;
  readonly xds: XdsServer;
  readonly processor: ProcessorServer;
  readonly api: ApiServer;
  /** Upstream credentials (`reload()` on SIGHUP or `embguard creds reload`). */
  readonly credentials: UpstreamCredentials;
  /** The snapshot enforced now, if any. */
  active(): ActiveSnapshot | undefined;
  /** Loads the newest valid snapshot from the store; a refused one leaves the current in force. */
  reloadSnapshots(): Promise<ReloadOutcome>;
  onXdsEvent(listener: XdsEventListener): () => void;
  stop(): Promise<void>;
}

/**
 * Starts both roles and loads the newest verified snapshot. A snapshot is applied to the processor
 * first (streams in flight keep the policy they began with), then pushed to Envoy.
 */
export async function start(config: Readonly<Config>, deps: AppDeps): Promise<App> {
  const { logger, clock } = deps;
  const shared = await openSharedState(config, { logger, clock, signCheckpoints: true });
  const secrets: SecretSources = { env: { ...config.secretEnv, ...deps.secretEnv }, baseDir: config.policyDir };
  const processor = await startProcessorRole(config, { logger, clock, shared, secrets });
  const controlPlane = await startControlPlaneRole(config, {
    logger,
    clock,
    shared,
    secrets,
    dataPath: { processor: { host: config.host, port: processor.server.port }, ...(deps.listener ? { listener: deps.listener } : {}) },
    routes: credentialApiRoutes(processor.credentials),
  });
  const feed = openSnapshotFeed(
    config,
    logger,
    (snapshot) => {
      processor.apply(snapshot);
      controlPlane.apply(snapshot);
    },
    await lastEnforcedSeq(shared.audit.store),
  );
  const unwatch = deps.watchSnapshots ? feed.watch() : () => undefined;
  return {
    audit: shared.audit,
    access: shared.access,
    xds: controlPlane.xds,
    processor: processor.server,
    api: controlPlane.api,
    credentials: processor.credentials,
    active: () => controlPlane.active(),
    reloadSnapshots: () => feed.reload(),
    onXdsEvent: (listener) => controlPlane.xds.onEvent(listener),
    async stop() {
      unwatch();
      await controlPlane.close();
      await processor.close();
      await shared.close();
    },
  };
}
