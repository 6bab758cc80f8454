import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../control-plane/src/config/index.ts';
import { CLI } from '../helpers/cli.ts';
import { startDemoUpstream, type DemoUpstream, type ReceivedRequest } from '../../control-plane/src/demo/index.ts';
import { silentLogger } from '../../control-plane/src/log/index.ts';
import type { PolicyDocument, UpstreamSpec } from '../../control-plane/src/policy/index.ts';
import { makeTestPki, type TestPki } from '../fixtures/credentials/pki.ts';
import { freePort } from '../helpers/ports.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { requireEnvoy } from '../helpers/envoy.ts';
import { demoPolicyDocuments } from './demo-services.ts';
import { startStack, type Stack } from './harness.ts';

const run = promisify(execFile);

/** Upstream keys: unusual enough that finding one anywhere means it leaked. */
const ENV_CANARY = 'sk-canary-env-Q7x3v9Lr2Wm5Bd8F';
const FILE_KEY_A = 'sk-canary-file-A-Zq8v0T3nKc4Lr7';
const FILE_KEY_B = 'sk-canary-file-B-Hh2Jj4Kk6Ll8Mm0';
const CANARIES = [ENV_CANARY, FILE_KEY_A, FILE_KEY_B];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
  });
}

function leaksIn(text: string | Buffer): string[] {
  return CANARIES.filter((canary) => text.includes(canary));
}

/** Writes like a secret manager: a temp file renamed over the old one. */
function writeAtomically(file: string, value: string): void {
  fs.writeFileSync(`${file}.tmp`, `${value}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** The stack's policy with its one upstream changed as given. */
function withUpstream(stack: Stack, change: Partial<UpstreamSpec> & { url: string }): PolicyDocument[] {
  return demoPolicyDocuments(stack.upstream.url, stack.issuer).map((document) => {
    if (document.kind !== 'Gateway') return document;
    const [first] = document.spec.upstreams;
    return { ...document, spec: { ...document.spec, upstreams: [{ ...(first as UpstreamSpec), ...change }] } };
  });
}

describe('upstream credentials through Envoy', () => {
  requireEnvoy();
  let stack: Stack;
  let token: string;
  const cleanups: (() => Promise<void> | void)[] = [];
  /** What the upstream behind the `file:` reference received (rotation and reload tests). */
  let fileUpstreamReceived: ReceivedRequest[] = [];

  beforeAll(async () => {
    stack = await startStack({ secretEnv: { EMBGUARD_DEMO_UPSTREAM_KEY: ENV_CANARY } });
    token = await stack.token('alice', ['engineering']);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await stack?.stop();
  });

  async function extraUpstream(options: { apiKey?: string | readonly string[]; tls?: { key: string; cert: string } }): Promise<{ upstream: DemoUpstream; received: ReceivedRequest[] }> {
    const received: ReceivedRequest[] = [];
    const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0, logger: silentLogger(), ...options, onRequest: (r) => received.push(r) });
    cleanups.push(() => upstream.close());
    return { upstream, received };
  }

  it('the upstream receives the gateway key, never the caller token or caller-sent provider headers', async () => {
    const before = stack.received.length;
    const client = stack.openai(token).withOptions({
      organization: 'org-caller-sent',
      project: 'proj-caller-sent',
      defaultHeaders: { 'x-api-key': 'caller-x-api-key', 'api-key': 'caller-api-key', 'x-goog-api-key': 'caller-goog' },
    });
    const result = await client.embeddings.create({ model: 'demo-embed', input: 'hello upstream' });
    expect(result.data).toHaveLength(1);
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const seen = stack.received.slice(before);
    expect(seen.map((r) => r.path)).toEqual(['/v1/embeddings', '/v1/models']);
    for (const request of seen) {
      expect(request.headers.authorization).toBe(`Bearer ${ENV_CANARY}`);
      for (const name of ['x-api-key', 'api-key', 'x-goog-api-key', 'openai-organization', 'openai-project']) expect(request.headers[name]).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain(token);
      expect(JSON.stringify(request.headers)).not.toContain('caller');
    }
  });

  it('a caller cannot reach the upstream without the gateway: the upstream answers 401 in OpenAI shape to anything else', async () => {
    const res = await fetch(`${stack.upstream.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-embed', input: 'direct' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('rotation under load: no request fails, requests after the rotation carry the new key, and it is audited by fingerprint', async () => {
    const { dir: secretDir, cleanup } = makeTempDir('embguard-secret-');
    cleanups.push(cleanup);
    const keyFile = path.join(secretDir, 'provider.key');
    writeAtomically(keyFile, FILE_KEY_A);
    // Like a real provider during a rotation, the upstream accepts the old and the new key.
    const { upstream, received } = await extraUpstream({ apiKey: [FILE_KEY_A, FILE_KEY_B] });
    fileUpstreamReceived = received;
    await stack.publish(withUpstream(stack, { url: upstream.url, credential: { ref: `file:${keyFile}`, header: 'authorization', format: 'Bearer {value}' } }));
    const initial = stack.app.credentials.list()[0]?.fingerprint;

    const client = stack.openai(token);
    const results: { input: string; startedAt: number; endedAt: number; error?: unknown }[] = [];
    let stop = false;
    let sequence = 0;
    const worker = async () => {
      while (!stop) {
        const input = `rotation probe ${sequence++}`;
        const startedAt = performance.now();
        try {
          await client.embeddings.create({ model: 'demo-embed', input });
          results.push({ input, startedAt, endedAt: performance.now() });
        } catch (error) {
          results.push({ input, startedAt, endedAt: performance.now(), error });
        }
      }
    };
    const workers = Array.from({ length: 20 }, worker);
    await vi.waitFor(() => expect(results.length).toBeGreaterThan(40), { timeout: 10_000, interval: 10 });
    const rotationStarted = performance.now();
    writeAtomically(keyFile, FILE_KEY_B);
    await vi.waitFor(() => expect(stack.app.credentials.list()[0]?.fingerprint).not.toBe(initial), { timeout: 5000, interval: 5 });
    const rotatedAt = performance.now();
    const countAtRotation = results.length;
    await vi.waitFor(() => expect(results.length).toBeGreaterThan(countAtRotation + 40), { timeout: 10_000, interval: 10 });
    stop = true;
    await Promise.all(workers);

    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    const keyOf = new Map(received.map((r) => [JSON.parse(r.body).input as string, r.headers.authorization]));
    const inFlight = results.filter((r) => r.startedAt < rotationStarted && r.endedAt > rotatedAt);
    const after = results.filter((r) => r.startedAt > rotatedAt);
    expect(after.length).toBeGreaterThan(20);
    for (const r of after) expect(keyOf.get(r.input)).toBe(`Bearer ${FILE_KEY_B}`);
    for (const r of results) expect([`Bearer ${FILE_KEY_A}`, `Bearer ${FILE_KEY_B}`]).toContain(keyOf.get(r.input));
    console.info(
      `rotation under load: ${results.length} requests, 0 failed, ${inFlight.length} in flight across the rotation, ` +
        `file change → new key in force in ${(rotatedAt - rotationStarted).toFixed(1)} ms`,
    );

    const fingerprint = stack.app.credentials.list()[0]?.fingerprint as string;
    await vi.waitFor(async () => {
      const tail = await run(process.execPath, [CLI, 'audit', 'tail', '-t', 'credential.rotated', '-n', '100000'], { env: { ...process.env, EMBGUARD_HOME: stack.home } });
      const events = tail.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { credential?: { name: string; fingerprint: string; previousFingerprint: string } });
      expect(events.map((e) => e.credential)).toContainEqual({ name: 'demo', ref: `file:${keyFile}`, fingerprint, previousFingerprint: initial });
      expect(leaksIn(tail.stdout)).toEqual([]);
    }, { timeout: 20_000, interval: 200 });
  }, 60_000);

  it('embguard creds reload (control-plane API): an unreadable file keeps the last good key; a fixed one is applied', async () => {
    const [state] = stack.app.credentials.list();
    const keyFile = (state?.ref as string).slice('file:'.length);
    const api = `http://127.0.0.1:${stack.app.api.port}`;
    const reload = () =>
      run(process.execPath, [CLI, 'creds', 'reload', '--api', api], { env: { ...process.env, EMBGUARD_HOME: stack.home } }).catch(
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
    fs.rmSync(keyFile);
    const broken = await reload();
    expect((broken as { code?: number }).code).toBe(1);
    expect(JSON.parse(broken.stdout).failed).toEqual([{ upstream: 'demo', ref: `file:${keyFile}`, reason: `secret file:${keyFile}: cannot read the file (ENOENT)` }]);
    expect(broken.stderr).toContain('the last good value stays in use');
    await stack.openai(token).embeddings.create({ model: 'demo-embed', input: 'still served' });
    expect(stack.app.credentials.list()[0]?.fingerprint).toBe(state?.fingerprint);

    writeAtomically(keyFile, FILE_KEY_A);
    const fixed = await reload();
    expect((fixed as { code?: number }).code ?? 0).toBe(0);
    const body = JSON.parse(fixed.stdout) as { failed: unknown[]; credentials: { fingerprint: string }[] };
    expect(body.failed).toEqual([]);
    // The directory watcher may have applied the change first; either way A's key is in force now.
    expect(body.credentials[0]?.fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{16}$/);
    expect(body.credentials[0]?.fingerprint).not.toBe(state?.fingerprint);
    for (const output of [broken, fixed]) expect(leaksIn(output.stdout + output.stderr)).toEqual([]);
    const authorizationFor = (input: string) => fileUpstreamReceived.find((r) => JSON.parse(r.body).input === input)?.headers.authorization;
    expect(authorizationFor('still served')).toBe(`Bearer ${FILE_KEY_B}`);
    await stack.openai(token).embeddings.create({ model: 'demo-embed', input: 'after reload' });
    expect(authorizationFor('after reload')).toBe(`Bearer ${FILE_KEY_A}`);
  }, 30_000);

  describe('TLS upstreams (test PKI made with openssl)', () => {
    let pki: TestPki;
    beforeAll(() => {
      const { dir, cleanup } = makeTempDir('embguard-pki-');
      cleanups.push(cleanup);
      pki = makeTestPki(dir);
    });

    async function publishTls(tls: { key: string; cert: string }): Promise<ReceivedRequest[]> {
      const { upstream, received } = await extraUpstream({ apiKey: ENV_CANARY, tls });
      const url = `https://localhost:${upstream.port}`;
      await stack.publish(
        withUpstream(stack, { url, tls: { caFile: pki.caFile, minVersion: 'TLSv1_2' }, credential: { ref: 'env:EMBGUARD_DEMO_UPSTREAM_KEY', header: 'authorization', format: 'Bearer {value}' } }),
      );
      return received;
    }

    it('a verified connection (CA file, SNI localhost, SAN checked) carries the request and the key', async () => {
      const received = await publishTls(pki.localhost);
      const result = await stack.openai(token).embeddings.create({ model: 'demo-embed', input: 'over tls' });
      expect(result.data).toHaveLength(1);
      expect(received).toHaveLength(1);
      expect(received[0]?.headers.authorization).toBe(`Bearer ${ENV_CANARY}`);
    });

    it.each([
      ['a certificate for another name', 'otherName'],
      ['a certificate from an unknown CA', 'unknownCa'],
    ] as const)('%s is refused with a 502/503 JSON error and nothing reaches the upstream', async (_label, which) => {
      const received = await publishTls(pki[which]);
      const res = await fetch(`${stack.baseURL}/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo-embed', input: 'over bad tls' }),
      });
      expect([502, 503]).toContain(res.status);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unavailable');
      expect(received).toHaveLength(0);
    });
  });

  it('no key (env: canary, file: values) is in EMBGUARD_HOME, logs, snapshots, /config_dump or embguard xds status', async () => {
    await stack.app.audit.tick();
    const leaked = filesUnder(stack.home).filter((file) => leaksIn(fs.readFileSync(file)).length > 0);
    expect(leaked).toEqual([]);
    expect(filesUnder(stack.home).some((file) => file.includes(`${path.sep}snapshots${path.sep}`))).toBe(true);
    const dump = await (await fetch(`${stack.envoy.adminUrl}/config_dump?include_eds`)).text();
    expect(dump).toContain('embguard_listener');
    expect(leaksIn(dump)).toEqual([]);
    expect(dump).not.toContain('EMBGUARD_DEMO_UPSTREAM_KEY');
    const status = await run(process.execPath, [CLI, 'xds', 'status', '--json', '--api', `http://127.0.0.1:${stack.app.api.port}`], {
      env: { ...process.env, EMBGUARD_HOME: stack.home },
    });
    expect(JSON.parse(status.stdout).nodes.length).toBeGreaterThan(0);
    expect(leaksIn(status.stdout + status.stderr)).toEqual([]);
    const credentials = await (await fetch(`http://127.0.0.1:${stack.app.api.port}/v1/credentials`)).text();
    expect(credentials).toContain('hmac-sha256:');
    expect(leaksIn(credentials)).toEqual([]);
  });
});

describe('credential references at the CLI', () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));

  /** policies/ copied to a temp dir with gateway.yaml's credential block edited. */
  function policyDirWith(edit: (gatewayYaml: string) => string): string {
    const { dir, cleanup } = makeTempDir('embguard-cred-policies-');
    cleanups.push(cleanup);
    const source = path.join(PROJECT_ROOT, 'policies');
    for (const name of fs.readdirSync(source)) {
      if (name.endsWith('.yaml')) fs.copyFileSync(path.join(source, name), path.join(dir, name));
    }
    const gateway = path.join(dir, 'gateway.yaml');
    fs.writeFileSync(gateway, edit(fs.readFileSync(gateway, 'utf8')));
    return dir;
  }

  it('embguard policy validate rejects a literal key with file:line:col, without echoing it', async () => {
    const literal = ['sk-proj-', 'CANARYliteral000000000000000000000'].join('');
    const dir = policyDirWith((yaml) => yaml.replace('format: Bearer {value}', `format: Bearer ${literal} {value}`));
    const result = await run(process.execPath, [CLI, 'policy', 'validate', '--dir', dir]).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect((result as { code?: number }).code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/gateway\.yaml:\d+:\d+: literal secret \(OPENAI_API_KEY\) in policy/);
    expect(output).not.toContain(literal);
  });

  it('embguard up fails at start with an error naming an unresolvable reference', async () => {
    const dir = policyDirWith((yaml) => yaml.replace('env:EMBGUARD_DEMO_UPSTREAM_KEY', 'env:EMBGUARD_MISSING_UPSTREAM_KEY'));
    const { dir: home, cleanup } = makeTempDir('embguard-up-home-');
    cleanups.push(cleanup);
    const env: NodeJS.ProcessEnv = { ...process.env, EMBGUARD_HOME: home, EMBGUARD_POLICY_DIR: dir };
    delete env.EMBGUARD_MISSING_UPSTREAM_KEY;
    for (const name of ['LISTENER', 'ENVOY_ADMIN', 'XDS', 'PROCESSOR', 'API', 'DEMO_UPSTREAM', 'DEMO_ISSUER']) env[`EMBGUARD_${name}_PORT`] = String(await freePort());
    const result = await run(process.execPath, [CLI, 'up', '--demo'], { env, timeout: 60_000 }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stderr).toContain('env:EMBGUARD_MISSING_UPSTREAM_KEY: the environment variable is not set');
    expect(result.stderr).not.toMatch(/Starting Envoy|Envoy is ready/i);
  }, 90_000);
});
