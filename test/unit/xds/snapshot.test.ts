import { describe, expect, it } from 'vitest';
import {
  buildGatewayResources,
  makeVersion,
  SnapshotConsistencyError,
  XdsSnapshot,
  type XdsSnapshotInput,
} from '../../../control-plane/src/xds/index.ts';
import { EDS_CLUSTER, sampleGatewayInput, withEds } from '../../fixtures/xds/gateway.ts';

const VERSION = '7-0123456789ab';

function validInput(): XdsSnapshotInput {
  return { version: VERSION, ...withEds(buildGatewayResources(sampleGatewayInput()), 18003) };
}

function problemsOf(input: XdsSnapshotInput): readonly string[] {
  try {
    XdsSnapshot.create(input);
  } catch (err) {
    if (err instanceof SnapshotConsistencyError) return err.problems;
    throw err;
  }
  return [];
}

describe('XdsSnapshot.create', () => {
  it('accepts the gateway resources and serves them sorted by name', () => {
    const snapshot = XdsSnapshot.create(validInput());
    expect(snapshot.version).toBe(VERSION);
    expect(snapshot.all('cluster').map((c) => c.name)).toEqual(['backend_eds', 'demo', 'embguard_processor']);
    expect(snapshot.named('route', ['embguard_routes', 'missing']).map((r) => r.name)).toEqual(['embguard_routes']);
    expect(snapshot.counts()).toEqual({ cluster: 3, endpoint: 1, listener: 1, route: 1 });
  });

  it('is frozen and independent of the input objects', () => {
    const input = validInput();
    const snapshot = XdsSnapshot.create(input);
    (input.clusters[0] as { name?: string }).name = 'changed-after-create';
    expect(snapshot.all('cluster').map((c) => c.name)).not.toContain('changed-after-create');
    const cluster = snapshot.all('cluster')[0] as { name?: string };
    expect(() => {
      cluster.name = 'mutated';
    }).toThrow(TypeError);
  });

  it('rejects a listener whose route configuration is missing', () => {
    const input = { ...validInput(), routes: [] };
    expect(problemsOf(input)).toEqual([expect.stringMatching(/listeners\[0\] \(embguard_listener\): route configuration "embguard_routes" is not in the snapshot/)]);
  });

  it('rejects an EDS cluster without endpoints and endpoints without an EDS cluster', () => {
    const input = validInput();
    const orphan = { cluster_name: 'nobody', endpoints: [] };
    expect(problemsOf({ ...input, endpoints: [orphan] })).toEqual([
      expect.stringMatching(new RegExp(`clusters\\[\\d\\] \\(${EDS_CLUSTER}\\): EDS name "${EDS_CLUSTER}" has no endpoints`)),
      expect.stringMatching(/endpoints \(nobody\): no EDS cluster uses this name/),
    ]);
  });

  it('rejects a route to a cluster that is not in the snapshot', () => {
    const input = validInput();
    const clusters = input.clusters.filter((c) => c.name !== 'demo');
    expect(problemsOf({ ...input, clusters })).toEqual([
      expect.stringMatching(/routes\[0\] \(embguard_routes\)\.virtual_hosts\[0\]\.routes\[0\]: cluster "demo" is not in the snapshot/),
      expect.stringMatching(/routes\[0\].*routes\[1\]: cluster "demo"/),
    ]);
  });

  it('collects every problem: bad version, unnamed and duplicate resources', () => {
    const input = validInput();
    const problems = problemsOf({
      ...input,
      version: 'v1',
      clusters: [...input.clusters, { ...input.clusters[0] }, { type: 'STATIC' }],
    });
    expect(problems).toEqual([
      'version: "v1" is not <seq>-<hash12>',
      expect.stringMatching(/clusters\[3\]: duplicate name/),
      'clusters[4]: has no name',
    ]);
  });
});

describe('makeVersion', () => {
  it('builds <seq>-<hash12> from a sequence number and a digest', () => {
    expect(makeVersion(42, 'deadbeefcafe0123456789')).toBe('42-deadbeefcafe');
    expect(() => makeVersion(-1, 'deadbeefcafe')).toThrow(RangeError);
    expect(() => makeVersion(1, 'XYZ')).toThrow(RangeError);
  });
});

describe('XdsSnapshot.create shape check', () => {
  it('rejects fields and enum values the Envoy message does not have, and Any of unknown types', () => {
    const input = validInput();
    const [listener] = input.listeners;
    const badListener = {
      ...listener,
      filter_chains: [{ filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope' } }] }],
    };
    const problems = problemsOf({
      ...input,
      clusters: [...input.clusters, { name: 'typo', conect_timeout: { seconds: '1' }, type: 'STATICC' } as never], // deliberately malformed: the type system would refuse it,
      listeners: [badListener],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'clusters[3].conect_timeout: no such field in envoy.config.cluster.v3.Cluster',
        'clusters[3].type: "STATICC" is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType',
        'listeners[0].filter_chains[0].filters[0].typed_config.@type: "type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope" is not a message type we load',
      ]),
    );
  });
});
