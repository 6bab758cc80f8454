import { describe, expect, it } from 'vitest';
import { type ProcessStack } from '../process-stack.ts';
import { expectAuditVerifies, useProcessStack } from './shared.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Envoy counters that move when a listener is replaced or drained. */
const LISTENER_STATS = [
  'listener_manager.listener_added',
  'listener_manager.listener_modified',
  'listener_manager.listener_removed',
  'listener_manager.total_listeners_draining',
  'listener_manager.listener_in_place_updated',
  'cluster_manager.cluster_modified',
  'cluster_manager.cluster_removed',
] as const;

interface NodeStatusView {
  nodeId: string;
  connected: boolean;
  acceptedVersion: string | null;
}

/** Versions of the dynamic listener and clusters in Envoy's `/config_dump`. */
async function dynamicVersions(stack: ProcessStack): Promise<string[]> {
  const dump = await stack.envoy.configDump();
  const versions: string[] = [];
  for (const config of dump.configs) {
    for (const key of ['dynamic_listeners', 'dynamic_active_clusters']) {
      const list = (config as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      for (const item of list as { version_info?: string; active_state?: { version_info?: string } }[]) {
        versions.push(item.active_state?.version_info ?? item.version_info ?? '');
      }
    }
  }
  return versions;
}

async function statsOf(stack: ProcessStack, names: readonly string[]): Promise<Record<string, number | undefined>> {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await stack.envoyStat(name)] as const)));
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('fault: kill the control plane', () => {
  const stack = useProcessStack();

  it('Envoy keeps serving the last config; a restart re-establishes the same version with no listener drain', async () => {
    const s = stack();
    const token = await s.token('bob', ['engineering']);
    const request = { model: 'demo-embed', input: 'quarterly report summary' };
    expect((await s.embed(token, request)).status).toBe(200);
    expect(new Set(await dynamicVersions(s))).toEqual(new Set([s.version]));
    const before = await statsOf(s, LISTENER_STATS);
    expect(before['listener_manager.total_listeners_draining']).toBe(0);

    await s.killRole('control-plane', 'SIGKILL');
    await waitFor('Envoy to notice the lost ADS stream', async () => (await s.envoyStat('control_plane.connected_state')) === 0);
    for (let i = 0; i < 10; i += 1) expect((await s.embed(token, request)).status).toBe(200);
    expect(new Set(await dynamicVersions(s))).toEqual(new Set([s.version]));

    await s.startRole('control-plane');
    await waitFor('Envoy to reconnect', async () => (await s.envoyStat('control_plane.connected_state')) === 1);
    // The restarted control plane sees Envoy run the version it serves (ACKed, or resumed with it).
    await waitFor('the restarted control plane to report the node on the same version', async () => {
      const res = await fetch(`http://127.0.0.1:${s.ports.api}/v1/xds/status`);
      const doc = (await res.json()) as { snapshotVersion: string | null; nodes: NodeStatusView[] };
      return doc.snapshotVersion === s.version && doc.nodes.some((n) => n.connected && n.acceptedVersion === s.version);
    });
    await sleep(1500); // longer than --drain-time-s: a drain, had one started, would show now.
    const after = await statsOf(s, LISTENER_STATS);
    expect(after).toEqual(before);
    expect(new Set(await dynamicVersions(s))).toEqual(new Set([s.version]));
    expect(await s.envoyStat('listener_manager.lds.update_rejected')).toBe(0);
    for (let i = 0; i < 5; i += 1) expect((await s.embed(token, request)).status).toBe(200);
    await expectAuditVerifies(s);
  }, 45_000);
});
