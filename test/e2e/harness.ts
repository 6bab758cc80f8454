import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import type { App } from '../../control-plane/src/app/index.ts';
import { systemClock } from '../../control-plane/src/clock/index.ts';
import { loadConfig, type Config } from '../../control-plane/src/config/index.ts';
import { DEMO_UPSTREAM_KEY_ENV, demoSecretEnv, type DemoUpstream, type ReceivedRequest } from '../../control-plane/src/demo/index.ts';
import type { EnvoyProcess } from '../../control-plane/src/envoy/index.ts';
import type { DemoIssuer } from '../../control-plane/src/identity/index.ts';
import { createLogger, type Logger } from '../../control-plane/src/log/index.ts';
import type { PolicyDocument } from '../../control-plane/src/policy/index.ts';
import { startStack as startRunningStack } from '../../control-plane/src/stack/index.ts';
import { envoyBinary, waitUntil } from '../helpers/envoy.ts';
import { freePort } from '../helpers/ports.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { startDemoServices } from './demo-services.ts';

/**
 * One whole embguard stack on free loopback ports, composed as `embguard up` composes it
 * (`startStack`: control plane + processor in this process, Envoy beside it), with the demo
 * upstream and issuer of `demo-services.ts` and the repository's policy pointed at them.
 */
export interface Stack {
  readonly config: Readonly<Config>;
  readonly app: App;
  readonly envoy: EnvoyProcess;
  /** The node id Envoy reports to the control plane. */
  readonly envoyNodeId: string;
  readonly upstream: DemoUpstream;
  readonly issuer: DemoIssuer;
  /** Base URL clients use, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly baseURL: string;
  /** Every request the demo upstream received, in order. */
  readonly received: ReceivedRequest[];
  readonly home: string;
  readonly logFile: string;
  token(subject?: string, groups?: readonly string[]): Promise<string>;
  openai(token: string): OpenAI;
  /**
   * Builds and signs a development snapshot of `documents` into the stack's store, has the control
   * plane load it through its verifying loader, and waits until Envoy ACKed it. Returns its version.
   */
  publish(documents: readonly PolicyDocument[]): Promise<string>;
  waitForVersion(version: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: { logger?: Logger; secretEnv?: Record<string, string> } = {}): Promise<Stack> {
  const { dir: home, cleanup } = makeTempDir('embguard-e2e-');
  const logFile = path.join(home, 'stack.log');
  const logger =
    options.logger ?? createLogger({ level: 'debug', destination: fs.createWriteStream(logFile, { flags: 'a' }) as never });
  const secretEnv = { ...demoSecretEnv(home, {}), ...options.secretEnv };
  const demo = await startDemoServices({ home, logger, upstreamKey: secretEnv[DEMO_UPSTREAM_KEY_ENV], builder: 'e2e harness' });
  try {
    const listener = { host: '127.0.0.1', port: await freePort() };
    const config = loadConfig(
      { EMBGUARD_HOME: home, EMBGUARD_SNAPSHOT_DEV: '1', ENVOY_BIN: envoyBinary() },
      { ports: { envoyAdmin: await freePort(), xds: 0, processor: 0, api: 0, demoUpstream: demo.upstream.port, demoIssuer: demo.issuer.port } },
    );
    // The first snapshot (and the key the roles pin) exist before the roles start, as with `up --demo`.
    const first = await demo.sign(demo.demoDocuments());
    const running = await startRunningStack(config, {
      logger,
      clock: systemClock,
      demo: false,
      secretEnv,
      listener,
      envoyDrainTimeS: 1,
      watchSnapshots: false,
    });
    const { app } = running;

    const waitForVersion = async (version: string, timeoutMs = 15_000) => {
      const acked = () => app.xds.status().find((node) => node.nodeId === running.envoyNodeId)?.acceptedVersion === version;
      await waitUntil(() => (acked() ? true : undefined), timeoutMs, `Envoy to ACK ${version}`);
    };
    await waitForVersion(first);

    const baseURL = running.urls.gateway as string;
    return {
      config,
      app,
      envoy: running.envoy,
      envoyNodeId: running.envoyNodeId,
      upstream: demo.upstream,
      issuer: demo.issuer,
      baseURL,
      received: demo.received,
      home,
      logFile,
      token: demo.token,
      openai: (token) => new OpenAI({ baseURL, apiKey: token, maxRetries: 0, timeout: 10_000 }),
      async publish(documents) {
        const version = await demo.sign(documents);
        const outcome = await app.reloadSnapshots();
        if (app.active()?.ref.version !== version) throw new Error(`snapshot ${version} not loaded: ${outcome.status}`);
        await waitForVersion(version);
        return version;
      },
      waitForVersion,
      async stop() {
        await running.stop();
        await demo.close();
        cleanup();
      },
    };
  } catch (err) {
    await demo.close();
    cleanup();
    throw err;
  }
}
