import path from 'node:path';
import { accessApiRoutes, GrantStore, grantStorePath, JitAccess, type AccessEvent, type JitApprovalSettings } from './access/index.ts';
import { startApiServer, type ApiRoute, type ApiServer } from './api/index.ts';
import { openConfiguredAuditLog, type AuditEventInput, type AuditLog } from './audit/index.ts';
import type { Clock } from './clock/index.ts';
import type { Config } from './config/index.ts';
import { GatewayError } from './errors/index.ts';
import { createBearerVerifier, type BearerVerifier } from './identity/index.ts';
import type { Logger } from './log/index.ts';
import { startProcessor, SwappablePolicy, type ProcessorServer } from './processor/index.ts';
import { toRuntimePolicy, toXdsSnapshot, type ActiveSnapshot, type DataPathPorts } from './runtime/index.ts';
import type { SecretSources } from './secrets/index.ts';
import { startXdsServer, xdsApiRoutes, type XdsEvent, type XdsEventListener, type XdsServer } from './xds/index.ts';

export interface AppDeps {
  logger: Logger;
  clock: Clock;
  /** The audit log; the configured one (SQLite under `home` by default) when omitted. */
  audit?: AuditLog;
  /** Extra environment for `env:` secret references (the demo's generated keys). */
  secretEnv?: Readonly<Record<string, string>>;
  /** Clients connect here instead of the policy's listener address (tests use free ports). */
  listener?: { host: string; port: number };
}

/** The control plane and processor of one embguard instance; Envoy runs beside it. */
export interface App {
  readonly audit: AuditLog;
  readonly xds: XdsServer;
  readonly processor: ProcessorServer;
  readonly api: ApiServer;
  readonly access: JitAccess;
  /** The snapshot enforced now, if any. */
  active(): ActiveSnapshot | undefined;
  /**
   * Enforces a verified snapshot: the processor's policy is swapped first (streams in flight keep
   * theirs), then Envoy gets the matching resources over ADS. Throws, changing nothing, when the
   * snapshot cannot be enforced (e.g. a secret it names cannot be resolved).
   */
  activate(snapshot: ActiveSnapshot): void;
  onXdsEvent(listener: XdsEventListener): () => void;
  stop(): Promise<void>;
}

/**
 * Who approves just-in-time access until ApprovalPolicy carries its own settings: the security
 * group, one approver, at most eight hours.
 */
const DEFAULT_JIT_SETTINGS: JitApprovalSettings = { approverGroups: ['security'], quorum: 1, maxDurationMs: 8 * 3600_000 };
const GRANT_SWEEP_INTERVAL_MS = 1000;

/** An access lifecycle step as an audit event; `access.activated`/`expired` need no acting person. */
function accessAuditEvent(event: AccessEvent): AuditEventInput {
  const access = {
    grantId: event.grantId,
    requester: event.subject,
    ...(event.activeFrom ? { startsAt: event.activeFrom } : {}),
    ...(event.activeUntil ? { expiresAt: event.activeUntil } : {}),
    ...(event.reason ? { reason: event.reason } : {}),
  };
  const actor = { subject: event.actor };
  switch (event.type) {
    case 'access.activated':
    case 'access.expired':
      return { type: event.type, actor, access };
    case 'access.approved':
    case 'access.denied':
      return { type: event.type, actor, access: { ...access, approver: event.actor } };
    default:
      return { type: event.type, actor, access };
  }
}

/** Starts xDS server, processor and control-plane API on loopback. Envoy is started by the caller. */
export async function start(config: Readonly<Config>, deps: AppDeps): Promise<App> {
  const { logger, clock } = deps;
  const audit = deps.audit ?? (await openConfiguredAuditLog(config, { clock, logger }));
  const recordInBackground = (event: AuditEventInput) =>
    audit.append(event).catch((err: unknown) => logger.error({ err, type: event.type }, 'could not record a control-plane event'));
  const secrets: SecretSources = { env: { ...config.secretEnv, ...deps.secretEnv }, baseDir: config.policyDir };

  const grants = GrantStore.open(grantStorePath(config.home));
  const access = new JitAccess({ store: grants, clock, settings: DEFAULT_JIT_SETTINGS, onEvent: (e) => void recordInBackground(accessAuditEvent(e)) });
  access.sweep();
  const stopSweeper = access.startSweeper({ intervalMs: GRANT_SWEEP_INTERVAL_MS });

  const policy = new SwappablePolicy();
  const processor = await startProcessor({
    host: config.host,
    port: config.ports.processor,
    policy,
    recorder: audit,
    grants: () => access.grantWindows(),
    clock,
    logger,
  });
  const xds = await startXdsServer({ host: config.host, port: config.ports.xds, logger, clock, statusFile: path.join(config.home, 'run', 'xds-status.json') });

  let active: ActiveSnapshot | undefined;
  let verifyBearer: BearerVerifier | undefined;
  const verify: BearerVerifier = (authorization) => {
    if (!verifyBearer) throw new GatewayError('policy_unavailable');
    return verifyBearer(authorization);
  };
  const routes: ApiRoute[] = [
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok', snapshot: active?.ref.version ?? null } }) },
    ...xdsApiRoutes(xds),
    ...accessApiRoutes({ jit: access, verify }),
  ];
  const api = await startApiServer({ host: config.host, port: config.ports.api, routes, logger });
  const ports: DataPathPorts = {
    processor: { host: config.host, port: processor.port },
    ...(deps.listener ? { listener: deps.listener } : {}),
  };

  // Versions pushed to Envoy → the snapshot they came from, so every ACK/NACK record names it.
  const pushed = new Map<string, { seq: number; sha256: string }>();
  const recordEnvoyReply = (event: XdsEvent) => {
    if (event.kind !== 'xds.ack' && event.kind !== 'xds.nack') return;
    const policyRef = pushed.get(event.version);
    if (!policyRef) return;
    const envoy = { nodeId: event.nodeId, versionInfo: event.version, nonce: event.nonce, ...(event.kind === 'xds.nack' ? { errorDetail: event.error } : {}) };
    void recordInBackground({ type: event.kind, envoy, policy: policyRef });
  };
  xds.onEvent(recordEnvoyReply);

  return {
    audit,
    xds,
    processor,
    api,
    access,
    active: () => active,
    activate(snapshot) {
      const resources = toXdsSnapshot(snapshot, ports);
      const runtime = toRuntimePolicy(snapshot, secrets);
      const nextVerifier = createBearerVerifier({ providers: snapshot.compiled.identityProviders, clock });
      policy.replace(runtime);
      verifyBearer = nextVerifier;
      access.syncPolicyGrants(snapshot.compiled.grants);
      const ref = { seq: snapshot.ref.seq, sha256: snapshot.ref.sha256 };
      pushed.set(snapshot.ref.version, ref);
      xds.setSnapshot(resources);
      active = snapshot;
      void recordInBackground({ type: 'policy.activated', policy: ref });
      logger.info({ version: snapshot.ref.version }, 'policy snapshot activated');
    },
    onXdsEvent: (listener) => xds.onEvent(listener),
    async stop() {
      stopSweeper();
      await api.close();
      await xds.close();
      await processor.close();
      grants.close();
      await audit.close();
    },
  };
}
