import { renderBootstrap } from '../../../control-plane/src/envoy/index.ts';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { systemClock } from '../../../control-plane/src/clock/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { buildGatewaySnapshot, GATEWAY_NAMES, startXdsServer, type XdsServer } from '../../../control-plane/src/xds/index.ts';
import { dynamicVersions, requireEnvoy, startEnvoy, waitUntil, type EnvoyProcess } from '../../helpers/envoy.ts';
import { freePort } from '../../helpers/ports.ts';
import { sampleGatewayInput } from '../../fixtures/xds/gateway.ts';
import { startPassthroughProcessor, startRecordingUpstream } from '../../fixtures/xds/passthrough.ts';

const VERSION = '1-d00d00d00d00';
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * The gateway's Envoy config on the data path, with a pass-through processor: routes, method and
 * path handling, body limit, and Envoy's own errors as OpenAI-style JSON.
 */
describe('gateway listener on real Envoy', () => {
  requireEnvoy();
  let xds: XdsServer;
  let envoy: EnvoyProcess;
  let processor: Awaited<ReturnType<typeof startPassthroughProcessor>>;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let base: string;

  beforeAll(async () => {
    processor = await startPassthroughProcessor();
    upstream = await startRecordingUpstream();
    const listenerPort = await freePort();
    base = `http://127.0.0.1:${listenerPort}`;
    xds = await startXdsServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), clock: systemClock });
    xds.setSnapshot(
      buildGatewaySnapshot(
        VERSION,
        sampleGatewayInput({
          listener: { host: '127.0.0.1', port: listenerPort },
          processor: { host: '127.0.0.1', port: processor.port, messageTimeoutMs: 5_000 },
          upstreams: [{ name: 'demo', host: '127.0.0.1', port: upstream.port }],
          maxRequestBytes: MAX_REQUEST_BYTES,
        }),
      ),
    );
    envoy = await startEnvoy({ bootstrap: renderBootstrap({ nodeId: 'datapath', xdsPort: xds.port, adminPort: 0 }) });
    await waitUntil(
      async () => (dynamicVersions(await envoy.configDump()).routes[GATEWAY_NAMES.routeConfig] === VERSION ? true : undefined),
      15_000,
      'routes',
    );
    // The listener is warm once it answers.
    await waitUntil(() => fetch(`${base}/v1/models`).then(() => true, () => undefined), 10_000, 'listener');
    upstream.paths.length = 0;
  });

  afterAll(async () => {
    await envoy?.stop();
    await xds?.close();
    processor?.close();
    await upstream?.close();
  });

  async function call(path: string, init: RequestInit = {}) {
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), text };
  }

  function expectOpenAIError(result: { contentType: string | null; text: string }, code: string): void {
    expect(result.contentType).toBe('application/json');
    expect(JSON.parse(result.text)).toEqual({ error: expect.objectContaining({ code }) });
  }

  it('sends POST /v1/embeddings and GET /v1/models upstream, normalising the path', async () => {
    onTestFailed(() => envoy.printLogs());
    expect((await call('/v1/embeddings', { method: 'POST', body: '{"model":"m","input":"x"}' })).status).toBe(200);
    expect((await call('/v1/models')).status).toBe(200);
    expect((await call('//v1//embeddings', { method: 'POST', body: '{}' })).status).toBe(200);
    expect(upstream.paths).toEqual(['POST /v1/embeddings', 'GET /v1/models', 'POST /v1/embeddings']);
  });

  it('answers wrong methods, unknown paths and oversized bodies itself, as OpenAI JSON errors', async () => {
    onTestFailed(() => envoy.printLogs());
    const before = upstream.paths.length;
    const wrongMethod = await call('/v1/embeddings');
    expect(wrongMethod.status).toBe(405);
    expectOpenAIError(wrongMethod, 'method_not_allowed');
    const unknown = await call('/v1/../admin');
    expect(unknown.status).toBe(404);
    expectOpenAIError(unknown, 'not_found');
    const tooLarge = await call('/v1/embeddings', { method: 'POST', body: 'x'.repeat(MAX_REQUEST_BYTES * 2) });
    expect(tooLarge.status).toBe(413);
    expectOpenAIError(tooLarge, 'body_too_large');
    const escapedSlash = await call('/v1%2Fembeddings', { method: 'POST', body: '{}' });
    expect(escapedSlash.status).toBe(400);
    expectOpenAIError(escapedSlash, 'malformed_http');
    expect(upstream.paths.length).toBe(before);
  });

  it('turns an unreachable upstream into 502 and an unreachable processor into 503, both JSON', async () => {
    onTestFailed(() => envoy.printLogs());
    await upstream.close();
    const upstreamDown = await call('/v1/embeddings', { method: 'POST', body: '{}' });
    expect(upstreamDown.status).toBe(502);
    expectOpenAIError(upstreamDown, 'upstream_unavailable');
    processor.close();
    const processorDown = await call('/v1/embeddings', { method: 'POST', body: '{}' });
    expect(processorDown.status).toBe(503);
    expectOpenAIError(processorDown, 'processor_unavailable');
  });
});
