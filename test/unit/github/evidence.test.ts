import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GitHubEvidenceError,
  collectApprovalEvidence,
  createGitHubClient,
  matchesGlob,
  postSnapshotStatus,
  verifyWebhookSignature,
} from '../../../control-plane/src/github/index.ts';
import { startFakeGitHub, type FakeGitHub } from '../../helpers/fake-github.ts';
import { CHANGE_RULES, OWNER, PR_NUMBER, REPO, review, seedPullRequest } from '../../fixtures/github/pull-request.ts';

const SHAS = { headSha: '1'.repeat(40), oldHeadSha: '2'.repeat(40), mergeSha: '3'.repeat(40), baseSha: '4'.repeat(40) };

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub();
  seedPullRequest(github.state, SHAS);
});
afterEach(() => github.close());

function collect(mergeSha = SHAS.mergeSha, rules = CHANGE_RULES) {
  const octokit = createGitHubClient({ baseUrl: github.url, token: 'test-token' });
  return collectApprovalEvidence({ octokit, owner: OWNER, repo: REPO, mergeSha, rules, rulesRevision: SHAS.baseSha, ciRunId: '99' });
}

describe('collectApprovalEvidence', () => {
  it('counts only the latest approval on the final head by a mapped, non-author writer', async () => {
    const evidence = await collect();
    expect(evidence.approvals.map((a) => a.login)).toEqual(['alice-sec']);
    expect(evidence.approvals[0]).toMatchObject({ subject: 'alice@example.com', commitId: SHAS.headSha, permission: 'write' });
    const reasons = Object.fromEntries(evidence.ignored.map((r) => [`${r.login}:${r.state}`, r.reason]));
    expect(reasons).toEqual({
      'bob-platform:APPROVED': 'stale',
      'alice-sec:CHANGES_REQUESTED': 'superseded',
      'dev-dana:APPROVED': 'self_approval',
      'eve-reader:APPROVED': 'no_write_permission',
    });
    expect(evidence.satisfied).toBe(true);
    expect(evidence.pullRequest).toMatchObject({ number: PR_NUMBER, headSha: SHAS.headSha, mergeSha: SHAS.mergeSha, author: 'dev-dana' });
    expect(evidence.ciRunId).toBe('99');
  });

  it('follows Link pagination for the review list', async () => {
    await collect();
    const reviewPages = github.requests.filter((r) => r.includes(`/pulls/${PR_NUMBER}/reviews`));
    expect(reviewPages).toHaveLength(2);
    expect(reviewPages[1]).toContain('page=2');
  });

  it('is unsatisfied when the only valid approval is stale', async () => {
    github.state.reviews.set(PR_NUMBER, [review('alice-sec', 'APPROVED', SHAS.oldHeadSha, '2026-01-02T09:30:00Z')]);
    const evidence = await collect();
    expect(evidence.satisfied).toBe(false);
    expect(evidence.unmet).toEqual([
      'needs 1 approval(s), has 0',
      'policies/masking*.yaml (policies/masking.yaml) needs 1 approval(s) from security, has 0',
      'policies/access*.yaml (policies/access.yaml) needs 1 approval(s) from security or platform, has 0',
    ]);
  });

  it('requires the path rule groups, not just the quorum', async () => {
    github.state.reviews.set(PR_NUMBER, [review('bob-platform', 'APPROVED', SHAS.headSha, '2026-01-02T09:30:00Z')]);
    const evidence = await collect();
    expect(evidence.unmet).toEqual(['policies/masking*.yaml (policies/masking.yaml) needs 1 approval(s) from security, has 0']);
  });

  it('refuses a commit that no pull request merged (direct push)', async () => {
    await expect(collect('5'.repeat(40))).rejects.toMatchObject({ name: 'GitHubEvidenceError', code: 'no_pull_request' });
  });

  it('turns API errors into typed errors with the HTTP status', async () => {
    github.failWhen(/\/reviews$/, 502, 'Server Error');
    const err = await collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubEvidenceError);
    expect((err as GitHubEvidenceError).code).toBe('api_error');
    expect((err as Error).message).toContain('HTTP 502');
  });

  it('posts a commit status', async () => {
    const octokit = createGitHubClient({ baseUrl: github.url });
    await postSnapshotStatus(octokit, { owner: OWNER, repo: REPO, sha: SHAS.mergeSha }, { state: 'success', description: 'snapshot 7 signed' });
    expect(github.state.statuses).toEqual([{ sha: SHAS.mergeSha, status: { state: 'success', context: 'embguard/snapshot', description: 'snapshot 7 signed' } }]);
  });
});

describe('matchesGlob', () => {
  it('keeps * inside a segment and lets ** cross segments', () => {
    expect(matchesGlob('policies/masking.yaml', 'policies/masking*.yaml')).toBe(true);
    expect(matchesGlob('policies/tests/masking.yaml', 'policies/*.yaml')).toBe(false);
    expect(matchesGlob('policies/tests/masking.yaml', 'policies/**.yaml')).toBe(true);
    expect(matchesGlob('policiesXmasking.yaml', 'policies.masking.yaml')).toBe(false);
  });
});

describe('verifyWebhookSignature', () => {
  // GitHub docs, "Validating webhook deliveries" → "Testing the webhook payload validation".
  const SECRET = "It's a Secret to Everybody";
  const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it('accepts the published test vector', async () => {
    expect(await verifyWebhookSignature(SECRET, 'Hello, World!', SIGNATURE)).toBe(true);
  });

  it('rejects another body, another secret, and missing or malformed headers', async () => {
    expect(await verifyWebhookSignature(SECRET, 'Hello, World?', SIGNATURE)).toBe(false);
    expect(await verifyWebhookSignature('other', 'Hello, World!', SIGNATURE)).toBe(false);
    expect(await verifyWebhookSignature(SECRET, 'Hello, World!', undefined)).toBe(false);
    expect(await verifyWebhookSignature(SECRET, 'Hello, World!', 'sha1=757107ea')).toBe(false);
  });
});
