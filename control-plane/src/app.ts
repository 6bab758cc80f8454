import path from 'node:path';
import { startApiServer, type ApiRoute, type ApiServer } from './api/index.ts';
import type { Clock } from './clock/index.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './log/index.ts';
import { openConfiguredAuditLog, type AuditEventInput, type AuditLog } from './audit/index.ts';
import { startProcessor, SwappablePolicy, type ProcessorServer } from './processor/index.ts';
import type { SecretSources } from './secrets/index.ts';
import { toRuntimePolicy, toXdsSnapshot, type ActiveSnapshot, type DataPathPorts } from './runtime/index.ts';
import { startXdsServer, xdsApiRoutes, type XdsEventListener, type XdsServer } from './xds/index.ts';

export interface AppDeps {
  logger: Logger;
  clock: Clock;
  /** The audit log; the configured one (SQLite under `home` by default) when omitted. */
  audit?: AuditLog;
  /** Extra environment for `env:` secret references (the demo's generated tokenization key). */
  secretEnv?: Readonly<Record<string, string>>;
  /** Extra control-plane API routes (access requests, approvals). */
  apiRoutes?: readonly ApiRoute[];
  /** Clients connect here instead of the policy's listener address (tests use free ports). */
  listener?: { host: string; port: number };
}

/** The control plane and processor of one embguard instance; Envoy runs beside it. */
export interface App {
  readonly audit: AuditLog;
  readonly xds: XdsServer;
  readonly processor: ProcessorServer;
  readonly api: ApiServer;
  /** The snapshot enforced now, if any. */
  active(): ActiveSnapshot | undefined;
  /**
   * Enforces a verified snapshot: the processor's policy is swapped first (streams in flight keep
   * theirs), then Envoy gets the matching resources over ADS.
   */
  activate(snapshot: ActiveSnapshot): void;
  onXdsEvent(listener: XdsEventListener): () => void;
  stop(): Promise<void>;
}

/** Starts xDS server, processor and control-plane API on loopback. Envoy is started by the caller. */
export async function start(config: Readonly<Config>, deps: AppDeps): Promise<App> {
  const logger = deps.logger;
  const audit = deps.audit ?? (await openConfiguredAuditLog(config, { clock: deps.clock, logger }));
  const secrets: SecretSources = { env: { ...config.secretEnv, ...deps.secretEnv }, baseDir: config.policyDir };
  const policy = new SwappablePolicy();
  const processor = await startProcessor({
    host: config.host,
    port: config.ports.processor,
    policy,
    recorder: audit,
    clock: deps.clock,
    logger,
  });
  const xds = await startXdsServer({
    host: config.host,
    port: config.ports.xds,
    logger,
    clock: deps.clock,
    statusFile: path.join(config.home, 'run', 'xds-status.json'),
  });
  const api = await startApiServer({
    host: config.host,
    port: config.ports.api,
    routes: [
      { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok', snapshot: active?.ref.version ?? null } }) },
      ...xdsApiRoutes(xds),
      ...(deps.apiRoutes ?? []),
    ],
    logger,
  });
  const ports: DataPathPorts = {
    processor: { host: config.host, port: processor.port },
    ...(deps.listener ? { listener: deps.listener } : {}),
  };
  let active: ActiveSnapshot | undefined;
  // Versions pushed to Envoy → the snapshot they came from, so every ACK/NACK record names it.
  const pushed = new Map<string, { seq: number; sha256: string }>();
  const recordInBackground = (event: AuditEventInput) =>
    audit.append(event).catch((err: unknown) => logger.error({ err, type: event.type }, 'could not record a control-plane event'));
  xds.onEvent((event) => {
    if (event.kind !== 'xds.ack' && event.kind !== 'xds.nack') return;
    const policyRef = pushed.get(event.version);
    if (!policyRef) return;
    const envoy = {
      nodeId: event.nodeId,
      versionInfo: event.version,
      nonce: event.nonce,
      ...(event.kind === 'xds.nack' ? { errorDetail: event.error } : {}),
    };
    void recordInBackground({ type: event.kind, envoy, policy: policyRef });
  });

  return {
    audit,
    xds,
    processor,
    api,
    active: () => active,
    activate(snapshot) {
      const resources = toXdsSnapshot(snapshot, ports);
      policy.replace(toRuntimePolicy(snapshot, secrets));
      pushed.set(snapshot.ref.version, { seq: snapshot.ref.seq, sha256: snapshot.ref.sha256 });
      xds.setSnapshot(resources);
      active = snapshot;
      void recordInBackground({ type: 'policy.activated', policy: { seq: snapshot.ref.seq, sha256: snapshot.ref.sha256 } });
      logger.info({ version: snapshot.ref.version }, 'policy snapshot activated');
    },
    onXdsEvent: (listener) => xds.onEvent(listener),
    async stop() {
      await api.close();
      await xds.close();
      await processor.close();
      await audit.close();
    },
  };
}
