import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { start, type App } from '../../control-plane/src/app/index.ts';
import { systemClock } from '../../control-plane/src/clock/index.ts';
import { loadConfig, PROJECT_ROOT, type Config } from '../../control-plane/src/config/index.ts';
import { DEMO_UPSTREAM_KEY_ENV, demoSecretEnv, startDemoUpstream, type DemoUpstream, type ReceivedRequest } from '../../control-plane/src/demo/index.ts';
import { launchEnvoy, renderBootstrap, type EnvoyProcess } from '../../control-plane/src/envoy/index.ts';
import { startDemoIssuer, type DemoIssuer } from '../../control-plane/src/identity/index.ts';
import { createLogger, type Logger } from '../../control-plane/src/log/index.ts';
import { validatePolicySet, type PolicyDocument, type PolicyFileDocument } from '../../control-plane/src/policy/index.ts';
import { signDevelopmentSnapshot } from '../../control-plane/src/stack/index.ts';
import { envoyBinary } from '../helpers/envoy.ts';
import { freePort } from '../helpers/ports.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** One whole embguard stack on free loopback ports: demo upstream, demo issuer, control plane + processor, Envoy. */
export interface Stack {
  readonly config: Readonly<Config>;
  readonly app: App;
  readonly envoy: EnvoyProcess;
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


/** Policy documents as if read from `policies/<kind>.yaml`, the shape a snapshot carries. */
export function asPolicyFiles(documents: readonly PolicyDocument[]): PolicyFileDocument[] {
  return documents.map((document) => ({ file: `policies/${document.kind}.yaml`, document }));
}

/** The repository's policy documents with the addresses of this stack's demo upstream and issuer. */
export function demoPolicyDocuments(upstreamUrl: string, issuer: DemoIssuer): PolicyDocument[] {
  const result = validatePolicySet(path.join(PROJECT_ROOT, 'policies'));
  if (!result.ok) throw new Error(`policies/ does not validate: ${JSON.stringify(result.problems)}`);
  return result.documents.map(({ document }) => {
    const copy = structuredClone(document);
    if (copy.kind === 'Gateway') {
      for (const upstream of copy.spec.upstreams) upstream.url = upstreamUrl;
    }
    if (copy.kind === 'IdentityProvider') {
      copy.spec.issuer = issuer.issuer;
      copy.spec.jwks = { uri: issuer.jwksUri };
    }
    return copy;
  });
}


export async function startStack(options: { logger?: Logger; secretEnv?: Record<string, string> } = {}): Promise<Stack> {
  const { dir: home, cleanup } = makeTempDir('embguard-e2e-');
  const logFile = path.join(home, 'stack.log');
  const logger =
    options.logger ?? createLogger({ level: 'debug', destination: fs.createWriteStream(logFile, { flags: 'a' }) as never });
  const received: ReceivedRequest[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const secretEnv = { ...demoSecretEnv(home, {}), ...options.secretEnv };
    const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger, apiKey: secretEnv[DEMO_UPSTREAM_KEY_ENV], onRequest: (r) => received.push(r) });
    stoppers.push(() => upstream.close());
    const issuer = await startDemoIssuer({ port: 0, keyDir: path.join(home, 'issuer'), logger });
    stoppers.push(() => issuer.close());
    const listenerPort = await freePort();
    const adminPort = await freePort();
    const config = loadConfig(
      { EMBGUARD_HOME: home, EMBGUARD_SNAPSHOT_DEV: '1' },
      { ports: { envoyAdmin: adminPort, xds: 0, processor: 0, api: 0, demoUpstream: upstream.port, demoIssuer: issuer.port } },
    );
    const sign = (documents: readonly PolicyDocument[]) =>
      signDevelopmentSnapshot({
        storeDir: config.snapshots.source,
        keyDir: path.dirname(config.snapshots.trustedKeysFile),
        documents: asPolicyFiles(documents),
        builder: 'e2e harness',
        clock: systemClock,
      });
    // The first snapshot (and the key the roles pin) exist before the roles start, as with `up --demo`.
    const first = await sign(demoPolicyDocuments(upstream.url, issuer));
    const app = await start(config, {
      logger,
      clock: systemClock,
      listener: { host: '127.0.0.1', port: listenerPort },
      secretEnv,
    });
    stoppers.push(() => app.stop());
    const envoy = launchEnvoy({
      bin: envoyBinary(),
      bootstrap: renderBootstrap({ nodeId: 'e2e', adminPort, xdsPort: app.xds.port }),
      runDir: path.join(home, 'run'),
      logger,
      drainTimeS: 1,
    });
    stoppers.push(() => envoy.stop());

    const waitForVersion = async (version: string, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const node = app.xds.status().find((candidate: { nodeId: string }) => candidate.nodeId === 'e2e');
        if (node?.acceptedVersion === version) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`Envoy did not ACK ${version} within ${timeoutMs} ms`);
    };

    const stack: Stack = {
      config,
      app,
      envoy,
      upstream,
      issuer,
      baseURL: `http://127.0.0.1:${listenerPort}/v1`,
      received,
      home,
      logFile,
      token: (subject = 'alice', groups = ['engineering']) => issuer.mintToken({ sub: subject, groups: [...groups] }),
      openai: (token) => new OpenAI({ baseURL: `http://127.0.0.1:${listenerPort}/v1`, apiKey: token, maxRetries: 0, timeout: 10_000 }),
      async publish(documents) {
        const version = await sign(documents);
        const outcome = await app.reloadSnapshots();
        if (app.active()?.ref.version !== version) throw new Error(`snapshot ${version} not loaded: ${outcome.status}`);
        await waitForVersion(version);
        return version;
      },
      waitForVersion,
      async stop() {
        for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
        cleanup();
      },
    };
    await app.reloadSnapshots();
    await envoy.waitReady();
    await waitForVersion(first);
    return stack;
  } catch (err) {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}
