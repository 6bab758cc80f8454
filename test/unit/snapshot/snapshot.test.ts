import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { createGitHubClient } from '../../../control-plane/src/github/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { formatProblem, validatePolicySources } from '../../../control-plane/src/policy/index.ts';
import { parseVerifierKey, signerFromSeed, signNote } from '../../../control-plane/src/signing/index.ts';
import {
  DirectorySnapshotStore,
  INDEX_FILE,
  openSnapshotSource,
  PolicyInvalidError,
  SnapshotLoader,
  buildSnapshotFromGit,
  diffSnapshots,
  openSnapshot,
  readManifestUnverified,
  readPolicyFilesAt,
  snapshotFileName,
  type SnapshotUpdate,
} from '../../../control-plane/src/snapshot/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { startFakeGitHub, type FakeGitHub } from '../../helpers/fake-github.ts';
import { OWNER, PR_NUMBER, REPO, review } from '../../fixtures/github/pull-request.ts';
import { PolicyRepo } from '../../fixtures/policy/git-repo.ts';

const signer = signerFromSeed('embguard-snapshot', crypto.randomBytes(32));
const otherSigner = signerFromSeed('embguard-snapshot', crypto.randomBytes(32));
const trusted = [parseVerifierKey(signer.vkey)];

let tmp: { dir: string; cleanup: () => void };
let repo: PolicyRepo;
let store: DirectorySnapshotStore;
let github: FakeGitHub;
const clock = new FakeClock(Date.UTC(2026, 0, 2, 12));

beforeEach(async () => {
  tmp = makeTempDir('embguard-snapshot-');
  fs.mkdirSync(path.join(tmp.dir, 'repo'));
  repo = new PolicyRepo(path.join(tmp.dir, 'repo'));
  store = new DirectorySnapshotStore(path.join(tmp.dir, 'snapshots'));
  github = await startFakeGitHub();
});
afterEach(async () => {
  await github.close();
  tmp.cleanup();
});

function build(extra: { allowUnapproved?: boolean; withGitHub?: boolean; seq?: number } = {}) {
  return buildSnapshotFromGit({
    repo: repo.dir,
    policyDir: 'policies',
    store,
    signers: [signer],
    clock,
    builder: 'test',
    allowUnapproved: extra.allowUnapproved ?? false,
    ...(extra.seq !== undefined ? { seq: extra.seq } : {}),
    ...(extra.withGitHub === false ? {} : { github: { octokit: createGitHubClient({ baseUrl: github.url }), owner: OWNER, repo: REPO, ciRunId: '77' } }),
  });
}

/** Records PR `PR_NUMBER` on the fake GitHub as merged: its merge commit, changed files, writers and reviews. */
function recordMergedPull(pull: {
  title: string;
  mergeSha: string;
  headSha: string;
  baseSha: string;
  mergedBy: { login: string; id: number } | null;
  files: readonly string[];
  writers: readonly string[];
  reviews: ReturnType<typeof review>[];
}): void {
  const s = github.state;
  s.pulls.set(PR_NUMBER, {
    number: PR_NUMBER, title: pull.title, html_url: `https://github.com/${OWNER}/${REPO}/pull/${PR_NUMBER}`, state: 'closed',
    merged: true, merged_at: '2026-01-02T11:00:00Z', merge_commit_sha: pull.mergeSha, user: { login: 'dev-dana', id: 8007 },
    head: { sha: pull.headSha, ref: 'change' }, base: { sha: pull.baseSha, ref: 'main' }, merged_by: pull.mergedBy,
  });
  s.commitPulls.set(pull.mergeSha, [PR_NUMBER]);
  s.reviews.set(PR_NUMBER, pull.reviews);
  s.files.set(PR_NUMBER, pull.files.map((filename, i) => ({ filename, status: 'modified', additions: 1, deletions: 1, changes: 2, sha: String(i).repeat(40) })));
  for (const login of pull.writers) s.permissions.set(login, { permission: 'write', role_name: 'write' });
}

/** A reviewed change merged as a merge commit, with the PR and its reviews on the fake GitHub. */
function mergeReviewedChange(reviews: (head: string, oldHead: string) => ReturnType<typeof review>[]): { mergeSha: string; headSha: string } {
  const base = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', '-b', 'change');
  repo.write('policies/gateway.yaml', repo.read('policies/gateway.yaml').replace('maxBatchInputs: 256', 'maxBatchInputs: 200'));
  const oldHead = repo.commitAll('Lower the batch limit');
  repo.write('policies/access.yaml', repo.read('policies/access.yaml').replace('Contractors only', 'Contractors only,'));
  const headSha = repo.commitAll('Reword');
  const mergeSha = repo.merge('change');
  recordMergedPull({
    title: 'Lower batch limit', mergeSha, headSha, baseSha: base, mergedBy: { login: 'bob-platform', id: 12007 },
    files: ['policies/gateway.yaml', 'policies/access.yaml'], writers: ['alice-sec', 'bob-platform', 'carol-platform', 'dev-dana'],
    reviews: reviews(headSha, oldHead),
  });
  return { mergeSha, headSha };
}

/** `line:col` (1-based) of the first occurrence of `needle`: example files change, positions are computed. */
function positionOf(text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle));
  return `${before.split('\n').length}:${before.length - before.lastIndexOf('\n')}`;
}

function loader(updates: SnapshotUpdate[] = [], options: { allowUnapproved?: boolean } = {}) {
  return new SnapshotLoader({ source: store, trustedKeys: trusted, logger: silentLogger(), onSnapshot: (u) => void updates.push(u), ...options });
}

describe('snapshot build', () => {
  it('builds, signs and stores an approved snapshot with frozen review evidence', async () => {
    const { mergeSha, headSha } = mergeReviewedChange((head, old) => [
      review('carol-platform', 'APPROVED', old, '2026-01-02T09:00:00Z'),
      review('dev-dana', 'APPROVED', head, '2026-01-02T09:10:00Z'),
      review('alice-sec', 'APPROVED', head, '2026-01-02T09:20:00Z'),
    ]);
    const built = await build();
    const { manifest } = built;
    expect(manifest).toMatchObject({ seq: 1, revision: mergeSha, parent: null, approved: true, builtAt: '2026-01-02T12:00:00.000Z', builder: 'test' });
    expect(manifest.approvals?.approvals.map((a) => a.login)).toEqual(['alice-sec']);
    expect(manifest.approvals?.ignored.map((r) => r.reason).sort()).toEqual(['self_approval', 'stale']);
    expect(manifest.approvals?.pullRequest).toMatchObject({ headSha, mergeSha });
    expect(manifest.signers).toEqual([{ name: 'embguard-snapshot', keyId: expect.stringMatching(/^[0-9a-f]{8}$/), fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }]);
    expect(built.version).toBe(`1-${manifest.sha256.slice(0, 12)}`);
    expect(manifest.content.compiled.gateway.limits.maxBatchInputs).toBe(200);
    expect(fs.statSync(built.file).mode & 0o777).toBe(0o444);
    const verified = openSnapshot(path.basename(built.file), fs.readFileSync(built.file), { trustedKeys: trusted });
    expect(verified.version).toBe(built.version);
  });

  it('fails when only stale and self approvals exist, unless marked unapproved for development', async () => {
    mergeReviewedChange((head, old) => [review('alice-sec', 'APPROVED', old, '2026-01-02T09:00:00Z'), review('dev-dana', 'APPROVED', head, '2026-01-02T09:10:00Z')]);
    await expect(build()).rejects.toThrow(/change approval rules not met: needs 1 approval\(s\), has 0/);
    expect(await store.list()).toEqual([]);
    const dev = await build({ allowUnapproved: true });
    expect(dev.manifest.approved).toBe(false);
    expect(dev.manifest.approvals?.satisfied).toBe(false);
  });

  it('refuses a direct push (no pull request) unless in development mode', async () => {
    repo.write('policies/gateway.yaml', repo.read('policies/gateway.yaml').replace('maxBatchInputs: 256', 'maxBatchInputs: 100'));
    repo.commitAll('Pushed straight to main');
    await expect(build()).rejects.toThrow(/not merged through a pull request/);
    const dev = await build({ allowUnapproved: true });
    expect(dev.manifest).toMatchObject({ approved: false, approvals: null });
  });

  it('refuses invalid policy with file:line:col from the committed files', async () => {
    repo.write('policies/access.yaml', repo.read('policies/access.yaml').replace('effect: deny', 'effect: forbid'));
    repo.commitAll('Break it');
    const err = await build({ allowUnapproved: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyInvalidError);
    expect((err as PolicyInvalidError).problems.map((p) => `${p.file}:${p.line}:${p.col}`)).toEqual([`policies/access.yaml:${positionOf(repo.read('policies/access.yaml'), 'forbid')}`]);
  });

  it('keeps seq monotonic, chains parents and never overwrites a file', async () => {
    const first = await build({ allowUnapproved: true, withGitHub: false });
    const second = await build({ allowUnapproved: true, withGitHub: false });
    expect(second.manifest).toMatchObject({ seq: 2, parent: first.manifest.sha256 });
    await expect(build({ allowUnapproved: true, withGitHub: false, seq: 2 })).rejects.toThrow(/seq 2 does not go forward: the store's newest snapshot is seq 2/);
    await expect(store.write(path.basename(first.file), Buffer.from('x'))).rejects.toThrow(/never overwritten/);
    const diff = diffSnapshots(first.manifest, second.manifest);
    expect(diff).toMatchObject({ documents: { added: [], removed: [], changed: [] }, compiled: [] });
  });
});

describe('the whole flow on a real Git repository', () => {
  it('invalid change → fixed → reviewed (stale and self approvals ignored) → built → loaded; a tampered newer file is refused', async () => {
    const updates: SnapshotUpdate[] = [];
    const l = loader(updates);
    repo.git('checkout', '-q', '-b', 'change');
    repo.write('policies/access.yaml', repo.read('policies/access.yaml').replace('groups: [data-science]', 'groups: [data-scientists]'));
    repo.commitAll('Typo in a group');
    const invalid = validatePolicySources(readPolicyFilesAt(repo.dir, 'HEAD', 'policies'), { label: 'policies' });
    expect(invalid.problems.map(formatProblem)).toEqual([`policies/access.yaml:${positionOf(repo.read('policies/access.yaml'), 'data-scientists')}: unknown group data-scientists`]);
    repo.write('policies/access.yaml', repo.read('policies/access.yaml').replace('groups: [data-scientists]', 'groups: [data-science, platform]'));
    const oldHead = repo.commitAll('Fix the group');
    repo.write('policies/masking.yaml', repo.read('policies/masking.yaml').replace('action: tokenize', 'action: mask'));
    const headSha = repo.commitAll('Mask rather than tokenize contact details');
    const mergeSha = repo.merge('change');
    recordMergedPull({
      title: 'Access and masking', mergeSha, headSha, baseSha: repo.git('rev-parse', 'HEAD^1'), mergedBy: null,
      files: ['policies/access.yaml', 'policies/masking.yaml'], writers: ['alice-sec', 'dev-dana'],
      reviews: [review('alice-sec', 'APPROVED', oldHead, '2026-01-02T09:00:00Z'), review('dev-dana', 'APPROVED', headSha, '2026-01-02T09:05:00Z')],
    });
    await expect(build()).rejects.toThrow(/policies\/masking\*\.yaml \(policies\/masking\.yaml\) needs 1 approval\(s\) from security, has 0/);
    github.state.reviews.get(PR_NUMBER)!.push(review('alice-sec', 'APPROVED', headSha, '2026-01-02T10:00:00Z'));
    const built = await build();
    expect(built.manifest.approvals?.approvals.map((a) => a.subject)).toEqual(['alice@example.com']);
    expect((await l.reload()).status).toBe('loaded');
    expect(updates.map((u) => u.version)).toEqual([built.version]);
    expect(l.current()?.compiled.masking.enforced.rules.find((r) => r.id === 'contact-details-tokenized')?.action).toBe('mask');
    const text = fs.readFileSync(built.file, 'utf8').replace('"action":"mask"', '"action":"allow"');
    fs.writeFileSync(path.join(store.location, snapshotFileName(2, built.manifest.sha256)), text);
    const outcome = await l.reload();
    expect(outcome.rejected.map((e) => `${e.file}: ${e.reason}`)).toEqual([`${snapshotFileName(2, built.manifest.sha256)}: bad_signature`]);
    expect(l.current()?.version).toBe(built.version);
  });
});

describe('SnapshotLoader', () => {
  async function twoSnapshots() {
    const first = await build({ allowUnapproved: true, withGitHub: false });
    repo.write('policies/gateway.yaml', repo.read('policies/gateway.yaml').replace('maxBatchInputs: 256', 'maxBatchInputs: 100'));
    repo.commitAll('Lower limit');
    const second = await build({ allowUnapproved: true, withGitHub: false });
    return { first, second };
  }

  it('loads the newest snapshot and notifies with <seq>-<hash12>', async () => {
    const { second } = await twoSnapshots();
    const updates: SnapshotUpdate[] = [];
    const outcome = await loader(updates, { allowUnapproved: true }).reload();
    expect(outcome.status).toBe('loaded');
    expect(updates.map((u) => u.version)).toEqual([second.version]);
    expect(updates[0]!.compiled.gateway.limits.maxBatchInputs).toBe(100);
  });

  it('refuses unapproved snapshots outside development mode', async () => {
    await build({ allowUnapproved: true, withGitHub: false });
    const outcome = await loader().reload();
    expect(outcome).toMatchObject({ status: 'rejected', current: undefined });
    expect(outcome.rejected.map((e) => e.reason)).toEqual(['unapproved']);
  });

  it('keeps the last good snapshot when a newer file is tampered, truncated, unsigned or foreign', async () => {
    const { first, second } = await twoSnapshots();
    fs.rmSync(second.file, { force: true });
    const updates: SnapshotUpdate[] = [];
    const l = loader(updates, { allowUnapproved: true });
    await l.reload();
    expect(l.current()?.version).toBe(first.version);

    const good = fs.readFileSync(first.file, 'utf8');
    const write = (seq: number, text: string): string => {
      const name = snapshotFileName(seq, second.manifest.sha256);
      fs.writeFileSync(path.join(store.location, name), text);
      return name;
    };
    const cases: [string, string][] = [
      [write(2, good.replace('"maxBatchInputs":256', '"maxBatchInputs":999')), 'bad_signature'],
      [write(3, good.slice(0, good.length - 20)), 'malformed'],
      [write(4, good.slice(0, good.indexOf('\n') + 1)), 'unsigned'],
      [write(5, signNote(good.slice(0, good.indexOf('\n') + 1), [otherSigner])), 'untrusted_signer'],
    ];
    const outcome = await l.reload();
    expect(outcome.status).toBe('rejected');
    expect(outcome.rejected.map((e) => [e.file, e.reason])).toEqual([...cases].reverse());
    expect(outcome.rejected[0]!.message).toContain(cases[3]![0]);
    expect(l.current()?.version).toBe(first.version);
    expect(updates).toHaveLength(1);
  });

  it('refuses a replayed older snapshot and an unknown apiVersion', async () => {
    const { first, second } = await twoSnapshots();
    const l = loader([], { allowUnapproved: true });
    await l.reload();
    expect(l.current()?.seq).toBe(2);
    // The seq-1 snapshot copied in under a newer name: the signature is valid, the seq is not.
    fs.copyFileSync(first.file, path.join(store.location, snapshotFileName(3, first.manifest.sha256)));
    const replay = await l.reload();
    expect(replay.rejected.map((e) => e.reason)).toEqual(['replay']);
    const text = fs.readFileSync(second.file, 'utf8');
    const body = text.slice(0, text.indexOf('\n') + 1).replace('"apiVersion":"embguard.io/snapshot/v1"', '"apiVersion":"embguard.io/snapshot/v9"');
    fs.writeFileSync(path.join(store.location, snapshotFileName(4, second.manifest.sha256)), signNote(body, [signer]));
    const unknown = await l.reload();
    expect(unknown.rejected.map((e) => e.reason)).toContain('unknown_api_version');
    expect(l.current()?.version).toBe(second.version);
    // A different file claiming the seq in force is refused too, wherever it sorts.
    const sameSeq = snapshotFileName(2, '0'.repeat(64));
    fs.copyFileSync(first.file, path.join(store.location, sameSeq));
    expect((await l.reload()).rejected.map((e) => [e.file, e.reason])).toContainEqual([sameSeq, 'replay']);
    expect(l.current()?.version).toBe(second.version);
  });

  it('keeps the previous snapshot when applying the new one fails', async () => {
    const { first } = await twoSnapshots();
    fs.rmSync(path.join(store.location, (await store.list())[1]!));
    let fail = false;
    const l = new SnapshotLoader({
      source: store, trustedKeys: trusted, allowUnapproved: true, logger: silentLogger(),
      onSnapshot: () => { if (fail) throw new Error('xDS push failed'); },
    });
    await l.reload();
    fail = true;
    await build({ allowUnapproved: true, withGitHub: false, seq: 5 });
    const outcome = await l.reload();
    expect(outcome.rejected.map((e) => e.reason)).toEqual(['not_applied']);
    expect(l.current()?.version).toBe(first.version);
  });

  it('picks up a new snapshot written to the watched directory', async () => {
    await build({ allowUnapproved: true, withGitHub: false });
    const updates: SnapshotUpdate[] = [];
    const l = loader(updates, { allowUnapproved: true });
    await l.reload();
    const stop = l.watch();
    try {
      const next = await build({ allowUnapproved: true, withGitHub: false });
      await vi.waitFor(() => expect(l.current()?.version).toBe(next.version), { timeout: 5000 });
    } finally {
      stop();
    }
  });

  it('loads over HTTP from a published index, and keeps the last good one when the source goes backwards', async () => {
    const { first, second } = await twoSnapshots();
    let listing: string[] = [path.basename(first.file), path.basename(second.file)];
    const server = http.createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      if (name === INDEX_FILE) return void res.end(JSON.stringify(listing));
      if (!listing.includes(name)) return void res.writeHead(404).end();
      res.end(fs.readFileSync(path.join(store.location, name)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const l = new SnapshotLoader({ source: openSnapshotSource(url), trustedKeys: trusted, allowUnapproved: true, logger: silentLogger(), onSnapshot: () => undefined });
      expect((await l.reload()).current?.version).toBe(second.version);
      listing = [path.basename(first.file)];
      const outcome = await l.reload();
      expect(outcome.rejected.map((e) => e.reason)).toEqual(['replay']);
      expect(l.current()?.version).toBe(second.version);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('lists manifests without keys for auditors', async () => {
    const { second } = await twoSnapshots();
    const names = await store.list();
    expect(readManifestUnverified(names[1]!, await store.read(names[1]!)).sha256).toBe(second.manifest.sha256);
  });
});
