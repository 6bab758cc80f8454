import path from 'node:path';
import { start, type App } from '../app/index.ts';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import { DEMO_UPSTREAM_KEY_ENV, demoSecretEnv, startDemoUpstream, type DemoUpstream, type ReceivedRequest } from '../demo/index.ts';
import { launchEnvoy, renderBootstrap, type EnvoyProcess } from '../envoy/index.ts';
import { demoIssuerKeyDir, startDemoIssuer, type DemoIssuer } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { buildDevSnapshot } from './dev-snapshot.ts';

export interface StackOptions {
  logger: Logger;
  clock: Clock;
  /**
   * Also run the demo upstream and the demo OIDC issuer, and enforce the working tree's policy as
   * an unapproved development snapshot signed with a local key.
   */
  demo: boolean;
  /** Reports progress of the start-up to a person. */
  progress?: (message: string) => void;
  /** Sees every request the demo upstream receives (what the model would see). */
  onUpstreamRequest?: (request: ReceivedRequest) => void;
  /** Environment for `env:` secret references, when not `demo` (which generates its own). */
  secretEnv?: Readonly<Record<string, string>>;
  /** Clients connect here instead of the snapshot's listener address (tests use free ports). */
  listener?: { host: string; port: number };
  /** How long Envoy drains when stopped; its launcher's default otherwise (tests stop sooner). */
  envoyDrainTimeS?: number;
  /** Reload when the snapshot store changes (default); tests that publish call `reloadSnapshots`. */
  watchSnapshots?: boolean;
}

export interface RunningStack {
  readonly app: App;
  readonly envoy: EnvoyProcess;
  readonly demoUpstream: DemoUpstream | undefined;
  readonly demoIssuer: DemoIssuer | undefined;
  readonly urls: Readonly<Record<string, string>>;
  /** The node id Envoy reports to the control plane (`app.xds.status()`). */
  readonly envoyNodeId: string;
  stop(): Promise<void>;
}

/** The store has no snapshot the control plane may enforce; it refuses to start without one. */
export class NoEnforceableSnapshotError extends Error {
  constructor(source: string, reasons: readonly string[]) {
    super(
      reasons.length > 0
        ? `no snapshot in ${source} could be enforced (verification or a secret reference failed):\n  - ${reasons.join('\n  - ')}`
        : `no policy snapshot in ${source}: build one with 'embguard snapshot build', or run 'embguard up --demo' for a development snapshot`,
    );
    this.name = 'NoEnforceableSnapshotError';
  }
}

const ENVOY_NODE_ID = 'embguard-local';

function demoConfig(config: Readonly<Config>): Readonly<Config> {
  return Object.freeze({ ...config, snapshots: { ...config.snapshots, allowUnapproved: true } });
}

/**
 * Starts the demo services (optional), the control plane with the processor, then Envoy, and waits
 * until Envoy is ready with the snapshot's listener. Anything started is stopped again if a later
 * step fails, so a failed start leaves no process behind.
 */
export async function startStack(baseConfig: Readonly<Config>, options: StackOptions): Promise<RunningStack> {
  const { logger } = options;
  const config = options.demo ? demoConfig(baseConfig) : baseConfig;
  const progress = options.progress ?? (() => undefined);
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.error({ err }, 'stop failed'));
    }
  };
  try {
    let demoUpstream: DemoUpstream | undefined;
    let demoIssuer: DemoIssuer | undefined;
    const secretEnv = options.demo ? demoSecretEnv(config.home, config.secretEnv) : (options.secretEnv ?? {});
    if (options.demo) {
      progress('starting the demo upstream and the demo OIDC issuer');
      // The demo upstream requires the same key the policy names, like a real provider.
      const apiKey = secretEnv[DEMO_UPSTREAM_KEY_ENV] ?? config.secretEnv[DEMO_UPSTREAM_KEY_ENV];
      demoUpstream = await startDemoUpstream({ host: config.host, port: config.ports.demoUpstream, logger, apiKey, onRequest: options.onUpstreamRequest });
      stoppers.push(() => demoUpstream!.close());
      demoIssuer = await startDemoIssuer({ host: config.host, port: config.ports.demoIssuer, keyDir: demoIssuerKeyDir(config.home), logger });
      stoppers.push(() => demoIssuer!.close());
      progress(`signing the working tree's policy as development snapshot ${await buildDevSnapshot(config, options.clock)}`);
    }
    progress(`starting the control plane (xDS :${config.ports.xds}, processor :${config.ports.processor}, API :${config.ports.api})`);
    const app = await start(config, {
      logger,
      clock: options.clock,
      secretEnv,
      watchSnapshots: options.watchSnapshots ?? true,
      ...(options.listener ? { listener: options.listener } : {}),
    });
    stoppers.push(() => app.stop());
    const loaded = await app.reloadSnapshots();
    const snapshot = app.active();
    if (!snapshot) throw new NoEnforceableSnapshotError(config.snapshots.source, loaded.rejected.map((r) => r.message));
    progress(`starting Envoy (${config.envoyBin})`);
    const envoy = launchEnvoy({
      bin: config.envoyBin,
      bootstrap: renderBootstrap({ nodeId: ENVOY_NODE_ID, adminPort: config.ports.envoyAdmin, xdsPort: app.xds.port }),
      runDir: path.join(config.home, 'run'),
      logger,
      ...(options.envoyDrainTimeS === undefined ? {} : { drainTimeS: options.envoyDrainTimeS }),
    });
    stoppers.push(() => envoy.stop());
    await envoy.waitReady();
    progress(`Envoy is ready with snapshot ${snapshot.ref.version}`);
    const listener = options.listener ?? { host: snapshot.compiled.gateway.listener.address, port: snapshot.compiled.gateway.listener.port };
    const urls: Record<string, string> = {
      gateway: `http://${listener.host}:${listener.port}/v1`,
      envoyAdmin: envoy.adminUrl,
      controlPlaneApi: `http://${config.host}:${app.api.port}`,
    };
    if (demoUpstream) urls.demoUpstream = demoUpstream.url;
    if (demoIssuer) urls.demoIssuer = demoIssuer.issuer;
    return { app, envoy, demoUpstream, demoIssuer, urls, envoyNodeId: ENVOY_NODE_ID, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
