import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { PolicyRepo } from '../../fixtures/policy/git-repo.ts';

const run = promisify(execFile);
const BIN = path.join(PROJECT_ROOT, 'control-plane', 'bin', 'embguard.js');

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTempDir('embguard-cli-');
});
afterEach(() => tmp.cleanup());

/** Runs the real CLI; resolves with exit code, stdout and stderr. */
async function embguard(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { GITHUB_ACTIONS: _ga, GITHUB_STEP_SUMMARY: _gs, ...base } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, env: { ...base, EMBGUARD_HOME: path.join(tmp.dir, 'home'), ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('embguard CLI (policy, snapshot, keys)', () => {
  it('policy validate exits 1 with file:line:col and GitHub annotations', async () => {
    const dir = path.join(tmp.dir, 'policies');
    fs.cpSync(path.join(PROJECT_ROOT, 'policies'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'gateway.yaml'), fs.readFileSync(path.join(dir, 'gateway.yaml'), 'utf8').replace('flavour: openai', 'flavour: openai\n      bogus: 1'));
    const result = await embguard(['policy', 'validate', '--dir', dir], { GITHUB_ACTIONS: 'true' });
    expect(result.code).toBe(1);
    const file = path.relative(PROJECT_ROOT, path.join(dir, 'gateway.yaml'));
    expect(result.stderr).toContain(`${file}:18:7: spec.upstreams.0: must NOT have additional properties (bogus)`);
    expect(result.stdout).toContain(`::error file=${file},line=18,col=7::spec.upstreams.0: must NOT have additional properties (bogus)`);
  });

  it('snapshot list on an empty store prints [] and exits 0', async () => {
    const result = await embguard(['snapshot', 'list']);
    expect(result).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('keys generate writes a 0600 private key and refuses to overwrite it', async () => {
    const out = path.join(tmp.dir, 'keys');
    const result = await embguard(['keys', 'generate', '--out', out]);
    expect(result.code).toBe(0);
    const generated = JSON.parse(result.stdout) as { fingerprint: string; publicKey: string; privateKeyFile: string };
    expect(generated.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fs.statSync(generated.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(out, 'snapshot-signing.pub'), 'utf8').trim()).toBe(generated.publicKey);
    expect(result.stdout).not.toContain('PRIVATE+KEY');
    expect((await embguard(['keys', 'generate', '--out', out])).code).toBe(1);
  });

  it('builds from a Git repo, lists with verification, shows and refuses a backwards seq', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'repo'));
    const repo = new PolicyRepo(path.join(tmp.dir, 'repo'));
    const keys = path.join(tmp.dir, 'keys');
    await embguard(['keys', 'generate', '--out', keys]);
    const store = path.join(tmp.dir, 'store');
    const common = ['--repo', repo.dir, '--store', store, '--key-file', path.join(keys, 'snapshot-signing.key')];
    const refused = await embguard(['snapshot', 'build', ...common]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no GitHub repository given to read approvals from');
    const built = await embguard(['snapshot', 'build', ...common, '--dev-unapproved']);
    expect(built.code).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ seq: 1, approved: false, revision: repo.git('rev-parse', 'HEAD') });
    const listed = await embguard(['snapshot', 'list', '--store', store, '--trusted-keys', path.join(keys, 'snapshot-signing.pub')]);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ seq: 1, verified: true, approved: false }]);
    const shown = await embguard(['snapshot', 'show', '1', '--store', store]);
    expect(JSON.parse(shown.stdout).content.compiled.gateway.routes).toEqual({ 'demo-embed': 'demo', 'demo-embed-large': 'demo' });
    const backwards = await embguard(['snapshot', 'build', ...common, '--dev-unapproved', '--seq', '1']);
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toContain('seq 1 does not go forward');
  });
});
