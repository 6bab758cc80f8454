import { renderBootstrap } from '../../../control-plane/src/envoy/index.ts';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { systemClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import {
  buildGatewaySnapshot,
  GATEWAY_NAMES,
  readStatusFile,
  startXdsServer,
  type GatewayResourcesInput,
  type XdsEvent,
  type XdsServer,
} from '../../../control-plane/src/xds/index.ts';
import { dynamicVersions, requireEnvoy, startEnvoy, waitUntil, type DynamicVersions, type EnvoyProcess } from '../../helpers/envoy.ts';
import { freePort } from '../../helpers/ports.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { sampleGatewayInput } from '../../fixtures/xds/gateway.ts';

const V1 = '1-111111111111';
const V2 = '2-222222222222';
const V3 = '3-333333333333';
const NODE_ID = 'envoy-ads-integration';

/** Waits until Envoy runs `version`: the route configuration carries every snapshot's version. */
async function waitForVersion(envoy: EnvoyProcess, version: string): Promise<DynamicVersions> {
  return waitUntil(
    async () => {
      const versions = dynamicVersions(await envoy.configDump());
      return versions.routes[GATEWAY_NAMES.routeConfig] === version ? versions : undefined;
    },
    15_000,
    `config_dump version ${version}`,
  );
}

describe('real Envoy over ADS', () => {
  requireEnvoy();
  const tmp = makeTempDir('embguard-xds-envoy-');
  const statusFile = path.join(tmp.dir, 'run', 'xds-status.json');
  const events: XdsEvent[] = [];
  let xds: XdsServer;
  let envoy: EnvoyProcess;
  let input: GatewayResourcesInput;

  beforeAll(async () => {
    xds = await startXdsServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), clock: systemClock, statusFile });
    xds.onEvent((event) => events.push(event));
    input = sampleGatewayInput({ listener: { host: '127.0.0.1', port: await freePort() } });
    xds.setSnapshot(buildGatewaySnapshot(V1, input));
    envoy = await startEnvoy({ bootstrap: renderBootstrap({ nodeId: NODE_ID, xdsPort: xds.port, adminPort: 0 }) });
  });

  afterAll(async () => {
    await envoy?.stop();
    await xds?.close();
    tmp.cleanup();
  });

  it('ACKs the first snapshot and /config_dump shows its version', async () => {
    onTestFailed(() => envoy.printLogs());
    const versions = await waitForVersion(envoy, V1);
    expect(versions).toEqual({
      clusters: { demo: V1, embguard_processor: V1 },
      listeners: { embguard_listener: V1 },
      routes: { embguard_routes: V1 },
    });
    await waitUntil(() => (xds.status()[0]?.state === 'accepted' ? true : undefined), 5_000, 'accepted status');
    expect(xds.status()).toEqual([expect.objectContaining({ nodeId: NODE_ID, connected: true, acceptedVersion: V1, state: 'accepted' })]);
    const kinds = events.filter((e) => e.kind === 'xds.ack').map((e) => (e.kind === 'xds.ack' ? e.resourceKind : ''));
    expect(new Set(kinds)).toEqual(new Set(['cluster', 'listener', 'route']));
  });

  it('records a NACK, does not resend the rejected version, and Envoy keeps the last good config', async () => {
    onTestFailed(() => envoy.printLogs());
    xds.setSnapshot(buildGatewaySnapshot(V2, { ...input, upstreams: [{ name: 'demo', host: '999.1.1.1', port: 18003 }] }));
    const nack = await waitUntil(() => events.find((e) => e.kind === 'xds.nack'), 10_000, 'NACK');
    expect(nack).toMatchObject({ nodeId: NODE_ID, resourceKind: 'cluster', version: V2, acceptedVersion: V1 });
    expect(nack.kind === 'xds.nack' && nack.error).toMatch(/999\.1\.1\.1/);

    // Listener and routes of V2 were valid and are ACKed; the rejected cluster stays at V1.
    const versions = await waitForVersion(envoy, V2);
    expect(versions.clusters).toEqual({ demo: V1, embguard_processor: V1 });
    const stats = await envoy.admin('/stats?filter=cluster_manager.cds.update_rejected');
    expect(stats.text).toMatch(/update_rejected: [1-9]/);

    // Give a resend loop time to show itself: Envoy would NACK again and we would see it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const clusterPushesOfV2 = events.filter((e) => e.kind === 'xds.push' && e.resourceKind === 'cluster' && e.version === V2);
    expect(clusterPushesOfV2).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'xds.nack')).toHaveLength(1);

    expect(xds.status()[0]).toMatchObject({ state: 'rejected', rejectedVersion: V2, error: expect.stringMatching(/999\.1\.1\.1/) });
    await xds.flushStatus();
    const persisted = await readStatusFile(statusFile);
    expect(persisted.nodes[0]).toMatchObject({ nodeId: NODE_ID, state: 'rejected', rejectedVersion: V2 });
  });

  it('applies the next good snapshot without restarting Envoy', async () => {
    onTestFailed(() => envoy.printLogs());
    const pid = envoy.pid;
    xds.setSnapshot(buildGatewaySnapshot(V3, { ...input, upstreams: [{ name: 'demo', host: '127.0.0.1', port: 18013 }] }));
    const versions = await waitForVersion(envoy, V3);
    expect(versions.clusters['demo']).toBe(V3);
    await waitUntil(() => (xds.status()[0]?.state === 'accepted' ? true : undefined), 5_000, 'accepted status');
    expect(xds.status()[0]).toMatchObject({ acceptedVersion: V3, rejectedVersion: null, error: null });
    const clusters = await envoy.admin('/clusters?format=json');
    expect(clusters.text).toMatch(/"port_value":\s*18013/);
    expect(envoy.pid).toBe(pid);
  });
});
