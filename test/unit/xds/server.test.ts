import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { startXdsServer, TYPE_URLS, type XdsEvent, type XdsServer } from '../../../control-plane/src/xds/index.ts';
import type { DiscoveryResponse__Output } from '../../../control-plane/src/generated/envoy/service/discovery/v3/DiscoveryResponse.ts';
import { ScriptedAdsClient } from '../../helpers/ads-client.ts';
import { EDS_CLUSTER, snapshotWithEds } from '../../fixtures/xds/gateway.ts';

const V1 = '1-aaaaaaaaaaaa';
const V2 = '2-bbbbbbbbbbbb';
const V3 = '3-cccccccccccc';
const NODE = { id: 'envoy-test-1', cluster: 'embguard' };

let server: XdsServer;
let events: XdsEvent[];
const clients: ScriptedAdsClient[] = [];

async function start(): Promise<XdsServer> {
  server = await startXdsServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), clock: new FakeClock() });
  events = [];
  server.onEvent((event) => events.push(event));
  return server;
}

function connect(): ScriptedAdsClient {
  const client = new ScriptedAdsClient(server.port);
  clients.push(client);
  return client;
}

/**
 * Proves that nothing was sent since the last response taken: asks RDS for a fresh name (a new
 * name set always gets an answer), expects that answer to be the very next response, and ACKs it
 * so RDS is subscribed again.
 */
let barrierCount = 0;
async function expectNothingPending(client: ScriptedAdsClient): Promise<void> {
  barrierCount += 1;
  const names = [`barrier-${barrierCount}`];
  client.send({ type_url: TYPE_URLS.route, resource_names: names, response_nonce: client.lastNonce(TYPE_URLS.route) });
  const response = await client.next();
  expect(response.type_url).toBe(TYPE_URLS.route);
  expect(response.resources).toHaveLength(0);
  client.ack(response, names);
}

function resourceNames(response: DiscoveryResponse__Output): string[] {
  return response.resources.map((any) => any.type_url);
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
});

describe('ADS server (State of the World)', () => {
  it('answers CDS with every cluster, the caller version and a nonce, and records the ACK', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const client = connect();
    client.send({ node: NODE, type_url: TYPE_URLS.cluster });
    const response = await client.next();
    expect(response.type_url).toBe(TYPE_URLS.cluster);
    expect(response.version_info).toBe(V1);
    expect(response.nonce).not.toBe('');
    expect(response.resources).toHaveLength(3);
    expect(new Set(resourceNames(response))).toEqual(new Set([TYPE_URLS.cluster]));
    client.ack(response);
    await expectNothingPending(client);
    expect(events.filter((e) => e.kind === 'xds.ack')).toEqual([
      expect.objectContaining({ kind: 'xds.ack', nodeId: NODE.id, resourceKind: 'cluster', version: V1, nonce: response.nonce }),
    ]);
    expect(server.status()[0]).toMatchObject({ nodeId: NODE.id, connected: true, types: { cluster: { acceptedVersion: V1 } } });
  });

  it('answers RDS and EDS with the requested names only', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const client = connect();
    client.send({ node: NODE, type_url: TYPE_URLS.endpoint, resource_names: [EDS_CLUSTER, 'unknown'] });
    const eds = await client.next();
    expect(eds.resources).toHaveLength(1);
    client.send({ type_url: TYPE_URLS.route, resource_names: ['embguard_routes'] });
    const rds = await client.next();
    expect(rds.type_url).toBe(TYPE_URLS.route);
    expect(rds.resources).toHaveLength(1);
    // Same version, new name set: answered again with the new set.
    client.send({ type_url: TYPE_URLS.route, resource_names: ['nothing-here'], response_nonce: rds.nonce, version_info: V1 });
    const again = await client.next();
    expect(again.resources).toHaveLength(0);
    expect(Number(again.nonce)).toBeGreaterThan(Number(rds.nonce));
  });

  it('sends one response per request and ignores stale nonces', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const client = connect();
    client.send({ node: NODE, type_url: TYPE_URLS.cluster });
    const first = await client.next();
    // Not yet ACKed: a new snapshot waits for Envoy's next request.
    server.setSnapshot(snapshotWithEds(V2));
    await expectNothingPending(client);
    // A request echoing an old nonce is stale: ignored, no answer, no ACK recorded.
    client.send({ type_url: TYPE_URLS.cluster, version_info: V1, response_nonce: 'not-the-latest' });
    await expectNothingPending(client);
    expect(events.some((e) => e.kind === 'xds.ack' && e.resourceKind === 'cluster')).toBe(false);
    // The ACK of the latest nonce is answered with the pending version.
    client.ack(first);
    const second = await client.next();
    expect(second.version_info).toBe(V2);
    expect(Number(second.nonce)).toBeGreaterThan(Number(first.nonce));
  });

  it('records a NACK with its error text, never resends the rejected version, and pushes the next one', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const client = connect();
    client.send({ node: NODE, type_url: TYPE_URLS.cluster });
    client.ack(await client.next());
    server.setSnapshot(snapshotWithEds(V2));
    const rejected = await client.next();
    expect(rejected.version_info).toBe(V2);
    client.send({
      type_url: TYPE_URLS.cluster,
      version_info: V1,
      response_nonce: rejected.nonce,
      error_detail: { code: 3, message: 'malformed IP address: 999.1.1.1' },
    });
    await expectNothingPending(client);
    expect(events.find((e) => e.kind === 'xds.nack')).toMatchObject({
      nodeId: NODE.id,
      resourceKind: 'cluster',
      version: V2,
      acceptedVersion: V1,
      error: 'malformed IP address: 999.1.1.1',
    });
    expect(server.status()[0]).toMatchObject({ state: 'rejected', rejectedVersion: V2, error: 'malformed IP address: 999.1.1.1' });
    // Setting the same version again does not resend it.
    server.setSnapshot(snapshotWithEds(V2));
    await expectNothingPending(client);
    // The fix goes out under a new version.
    server.setSnapshot(snapshotWithEds(V3));
    const fixed = await client.next();
    expect(fixed.version_info).toBe(V3);
    client.ack(fixed);
    await expectNothingPending(client);
    expect(server.status()[0]).toMatchObject({
      rejectedVersion: null,
      error: null,
      types: { cluster: { acceptedVersion: V3, rejectedVersion: null, error: null } },
    });
  });

  it('does not offer a parked version to the same node after it reconnects', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const first = connect();
    first.send({ node: NODE, type_url: TYPE_URLS.cluster });
    const response = await first.next();
    first.send({ type_url: TYPE_URLS.cluster, response_nonce: response.nonce, error_detail: { code: 3, message: 'bad' } });
    await expectNothingPending(first);
    first.close();

    const second = connect();
    second.send({ node: NODE, type_url: TYPE_URLS.cluster });
    await expectNothingPending(second);
    server.setSnapshot(snapshotWithEds(V2));
    expect((await second.next()).version_info).toBe(V2);

    // Another node never rejected V1/V2 and gets the current version at once.
    const other = connect();
    other.send({ node: { id: 'envoy-test-2' }, type_url: TYPE_URLS.cluster });
    expect((await other.next()).version_info).toBe(V2);
  });

  it('serves a reconnecting node the current snapshot on its new stream', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const first = connect();
    first.send({ node: NODE, type_url: TYPE_URLS.listener });
    const before = await first.next();
    first.ack(before);
    await expectNothingPending(first);
    first.close();
    const second = connect();
    second.send({ node: NODE, type_url: TYPE_URLS.listener, version_info: V1 });
    const after = await second.next();
    expect(after.version_info).toBe(V1);
    expect(Number(after.nonce)).toBeGreaterThan(Number(before.nonce));
    expect(events.filter((e) => e.kind === 'xds.connect')).toHaveLength(2);
  });

  it('takes the node id from the first request only', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const client = connect();
    client.send({ node: NODE, type_url: TYPE_URLS.cluster });
    const cds = await client.next();
    client.send({ node: { id: 'impostor' }, type_url: TYPE_URLS.cluster, response_nonce: cds.nonce, version_info: V1 });
    await expectNothingPending(client);
    expect(server.status().map((s) => s.nodeId)).toEqual([NODE.id]);
    expect(events.find((e) => e.kind === 'xds.ack')?.nodeId).toBe(NODE.id);
  });

  it('ends a stream whose first request names no node', async () => {
    await start();
    const client = connect();
    client.send({ type_url: TYPE_URLS.cluster });
    const status = await client.status();
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.details).toMatch(/node\.id/);
  });

  it('pushes a new snapshot in the order clusters, endpoints, listeners, routes with increasing nonces', async () => {
    await start();
    server.setSnapshot(snapshotWithEds(V1));
    const client = connect();
    // Subscribe in the "wrong" order; the push order must not depend on it.
    const subscriptions = [
      { type_url: TYPE_URLS.route, resource_names: ['embguard_routes'] },
      { type_url: TYPE_URLS.listener, resource_names: [] },
      { type_url: TYPE_URLS.endpoint, resource_names: [EDS_CLUSTER] },
      { type_url: TYPE_URLS.cluster, resource_names: [] },
    ];
    client.send({ node: NODE, ...subscriptions[0] });
    const initial: DiscoveryResponse__Output[] = [await client.next()];
    for (const subscription of subscriptions.slice(1)) {
      client.send(subscription);
      initial.push(await client.next());
    }
    initial.forEach((response, i) => client.ack(response, subscriptions[i]?.resource_names));
    await expectNothingPending(client);

    server.setSnapshot(snapshotWithEds(V2, 18004));
    const pushed = [await client.next(), await client.next(), await client.next(), await client.next()];
    expect(pushed.map((r) => r.type_url)).toEqual([TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.listener, TYPE_URLS.route]);
    expect(pushed.every((r) => r.version_info === V2)).toBe(true);
    const nonces = [...initial, ...pushed].map((r) => Number(r.nonce)).sort((a, b) => a - b);
    expect(new Set(nonces).size).toBe(nonces.length);
    const pushedNonces = pushed.map((r) => Number(r.nonce));
    expect(pushedNonces).toEqual([...pushedNonces].sort((a, b) => a - b));
    expect(Math.min(...pushedNonces)).toBeGreaterThan(Math.max(...initial.map((r) => Number(r.nonce))));
  });

  it('answers nothing until a snapshot exists', async () => {
    await start();
    const client = connect();
    const connected = new Promise<void>((resolve) => server.onEvent((e) => e.kind === 'xds.connect' && resolve()));
    client.send({ node: NODE, type_url: TYPE_URLS.cluster });
    await connected; // the request has been handled, with no snapshot to answer from
    expect(events.some((e) => e.kind === 'xds.push')).toBe(false);
    server.setSnapshot(snapshotWithEds(V1));
    const response = await client.next();
    expect(response.type_url).toBe(TYPE_URLS.cluster);
    expect(response.version_info).toBe(V1);
  });
});
