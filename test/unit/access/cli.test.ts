import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../control-plane/src/api/index.ts';
import { systemClock } from '../../../control-plane/src/clock/index.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { accessApiRoutes, GrantStore, JitAccess } from '../../../control-plane/src/access/index.ts';
import { createBearerVerifier, DEMO_AUDIENCE, demoIssuerKeyDir, startDemoIssuer, type DemoIssuer } from '../../../control-plane/src/identity/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);
const BIN = path.join(PROJECT_ROOT, 'control-plane', 'bin', 'embguard.js');

/** The CLI as a user runs it: a child process, tokens from `embguard token --demo`, JSON on stdout. */
describe('embguard token / embguard access', () => {
  const tmp = makeTempDir();
  let issuerPort: number;
  let issuer: DemoIssuer;
  let api: ApiServer;
  let store: GrantStore;
  const env = () => ({ ...process.env, EMBGUARD_HOME: tmp.dir, EMBGUARD_DEMO_ISSUER_PORT: String(issuerPort), EMBGUARD_TOKEN: '' });
  const cli = async (args: string[], token?: string) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...env(), EMBGUARD_TOKEN: token ?? '' } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const tokenFor = async (sub: string, groups: string) => {
    const { stdout, code } = await cli(['token', '--demo', '--sub', sub, '--groups', groups]);
    expect(code).toBe(0);
    return stdout.trim().split('\n').at(-1)!;
  };

  beforeAll(async () => {
    issuerPort = await freePort();
    // No issuer runs yet: the first `embguard token` mints with a short-lived in-process one.
    const offline = await tokenFor('dave', 'guests');
    expect(offline.split('.')).toHaveLength(3);
    issuer = await startDemoIssuer({ port: issuerPort, keyDir: demoIssuerKeyDir(tmp.dir), logger: silentLogger() });
    store = GrantStore.open(path.join(tmp.dir, 'grants.sqlite'));
    const jit = new JitAccess({
      store,
      clock: systemClock,
      settings: { approverGroups: ['security'], quorum: 1, maxDurationMs: 3_600_000 },
      onEvent: () => {},
    });
    const verify = createBearerVerifier({
      providers: [{ name: 'demo', issuer: issuer.issuer, audiences: [DEMO_AUDIENCE], jwks: { uri: issuer.jwksUri } }],
      clock: systemClock,
    });
    api = await startApiServer({ host: '127.0.0.1', port: 0, routes: accessApiRoutes({ jit, verify }), logger: silentLogger() });
    // The token minted while no issuer ran is accepted by the API once the issuer is up.
    const early = await cli(['access', 'list', '--api', `http://127.0.0.1:${api.port}`], offline);
    expect(early.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await issuer?.close();
    store?.close();
    tmp.cleanup();
  });

  it('requests, refuses self-approval, approves and revokes through the CLI', async () => {
    const apiUrl = `http://127.0.0.1:${api.port}`;
    const dave = await tokenFor('dave', 'guests');
    const erin = await tokenFor('erin', 'security');
    const requested = await cli(['access', 'request', '--model', 'demo-large', '--duration', '5m', '--reason', 'incident 7', '--api', apiUrl], dave);
    expect(requested.code).toBe(0);
    const grant = JSON.parse(requested.stdout) as { id: string; state: string };
    expect(grant.state).toBe('pending');

    const self = await cli(['access', 'approve', grant.id, '--api', apiUrl], dave);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('access_request_forbidden');

    const approved = await cli(['access', 'approve', grant.id, '--api', apiUrl], erin);
    expect(JSON.parse(approved.stdout)).toMatchObject({ state: 'active' });
    const listed = await cli(['access', 'list', '--state', 'active', '--api', apiUrl], dave);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((g) => g.id)).toEqual([grant.id]);
    const revoked = await cli(['access', 'revoke', grant.id, '--api', apiUrl, '--token', erin]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ state: 'revoked', revoked: { by: 'erin' } });
  }, 60_000);

  it('fails clearly without a token', async () => {
    const result = await cli(['access', 'list', '--api', `http://127.0.0.1:${api.port}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('EMBGUARD_TOKEN');
  }, 30_000);
});
