import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../control-plane/src/api/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import {
  formatStatusTable,
  loadXdsStatus,
  readStatusFile,
  startXdsServer,
  TYPE_URLS,
  xdsApiRoutes,
  xdsStatusFile,
  type XdsServer,
} from '../../../control-plane/src/xds/index.ts';
import { ScriptedAdsClient } from '../../helpers/ads-client.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { snapshotWithEds } from '../../fixtures/xds/gateway.ts';

const V1 = '1-aaaaaaaaaaaa';
const V2 = '2-bbbbbbbbbbbb';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server with one node that ACKed V1 for clusters and then NACKed V2. */
async function serverWithRejectedNode(clock: FakeClock, statusFile: string): Promise<XdsServer> {
  const xds = await startXdsServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), clock, statusFile });
  cleanups.push(() => xds.close());
  xds.setSnapshot(snapshotWithEds(V1));
  const client = new ScriptedAdsClient(xds.port);
  cleanups.push(() => client.close());
  client.send({ node: { id: 'node-a' }, type_url: TYPE_URLS.cluster });
  clock.advance(1_000);
  client.ack(await client.next());
  xds.setSnapshot(snapshotWithEds(V2));
  const rejected = await client.next();
  clock.advance(1_000);
  client.send({ type_url: TYPE_URLS.cluster, version_info: V1, response_nonce: rejected.nonce, error_detail: { code: 3, message: 'bad cluster\nsecond line' } });
  // The NACK has been handled once the status says so.
  for (let i = 0; i < 100 && xds.status()[0]?.state !== 'rejected'; i++) await new Promise((r) => setImmediate(r));
  return xds;
}

describe('node status', () => {
  it('is persisted atomically to the status file with clock times', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.cleanup);
    const statusFile = xdsStatusFile(tmp.dir);
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const xds = await serverWithRejectedNode(clock, statusFile);
    await xds.flushStatus();
    const doc = await readStatusFile(statusFile);
    expect(doc.snapshotVersion).toBe(V2);
    expect(doc.nodes).toEqual([
      expect.objectContaining({
        nodeId: 'node-a',
        connected: true,
        state: 'rejected',
        acceptedVersion: V1,
        rejectedVersion: V2,
        error: 'bad cluster\nsecond line',
        updatedAt: '2026-01-01T00:00:02.000Z',
      }),
    ]);
    expect(doc.nodes[0]?.types.cluster).toMatchObject({ lastAckAt: '2026-01-01T00:00:01.000Z', lastNackAt: '2026-01-01T00:00:02.000Z' });
    expect(fs.readdirSync(path.dirname(statusFile))).toEqual(['xds-status.json']);
  });

  it('is served at GET /v1/xds/status and read from the API before the file', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.cleanup);
    const statusFile = xdsStatusFile(tmp.dir);
    const xds = await serverWithRejectedNode(new FakeClock(), statusFile);
    const api: ApiServer = await startApiServer({ host: '127.0.0.1', port: 0, routes: xdsApiRoutes(xds), logger: silentLogger() });
    cleanups.push(() => api.close());
    const fromApi = await loadXdsStatus({ apiBaseUrl: `http://127.0.0.1:${api.port}`, statusFile: path.join(tmp.dir, 'absent.json') });
    expect(fromApi.source).toBe('api');
    expect(fromApi.document.nodes[0]).toMatchObject({ nodeId: 'node-a', state: 'rejected' });

    await xds.flushStatus();
    await api.close();
    const fromFile = await loadXdsStatus({ apiBaseUrl: `http://127.0.0.1:${api.port}`, statusFile, timeoutMs: 500 });
    expect(fromFile.source).toBe('file');
    expect(fromFile.document.nodes[0]?.rejectedVersion).toBe(V2);
  });

  it('fails with both reasons when neither the API nor the file is there', async () => {
    await expect(loadXdsStatus({ apiBaseUrl: 'http://127.0.0.1:1', statusFile: '/nonexistent/xds-status.json', timeoutMs: 500 })).rejects.toThrow(
      /API http:\/\/127\.0\.0\.1:1 .*file \/nonexistent\/xds-status\.json/,
    );
  });

  it('prints one table row per node with the error on one line', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.cleanup);
    const xds = await serverWithRejectedNode(new FakeClock(), path.join(tmp.dir, 's.json'));
    const table = formatStatusTable(xds.statusDocument());
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe(`snapshot served: ${V2}`);
    expect(lines[1]).toMatch(/^NODE\s+STATE\s+CONNECTED\s+ACCEPTED\s+REJECTED\s+LAST PUSH\s+ERROR$/);
    expect(lines[2]).toMatch(new RegExp(`^node-a\\s+rejected\\s+yes\\s+${V1}\\s+${V2}\\s+\\S+\\s+bad cluster second line$`));
    expect(formatStatusTable({ snapshotVersion: null, nodes: [] })).toContain('no Envoy node has connected yet');
    const [node] = xds.statusDocument().nodes;
    if (!node) throw new Error('no node');
    const mixed = { ...node, acceptedVersion: null, types: { cluster: node.types.cluster, listener: { ...node.types.cluster!, acceptedVersion: V2 } } };
    expect(formatStatusTable({ snapshotVersion: V2, nodes: [mixed] })).toMatch(/node-a\s+rejected\s+yes\s+mixed\s/);
  });
});
