import type { Octokit } from '@octokit/rest';
import type { CompiledChangeApproval } from '../policy/index.ts';
import { matchesGlob } from './glob.ts';

/** One review that counts towards the change approval, frozen into the snapshot. */
export interface CountedApproval {
  reviewId: number;
  htmlUrl: string;
  login: string;
  userId: number;
  submittedAt: string;
  commitId: string;
  /** The approver identity the login maps to (ApprovalPolicy `change.approvers`). */
  subject: string;
  groups: string[];
  permission: string;
}

export type IgnoredReason =
  | 'superseded'
  | 'not_approved'
  | 'stale'
  | 'self_approval'
  | 'unknown_approver'
  | 'no_write_permission';

/** A review that does not count, and why (kept so an auditor sees what was discarded). */
export interface IgnoredReview {
  reviewId: number;
  login: string;
  state: string;
  commitId: string | null;
  reason: IgnoredReason;
}

/**
 * What GitHub said about the change behind a merge commit, read through the REST API at build time
 * (gitops.md "Approval evidence from GitHub"). Webhooks only trigger a build; this is the record.
 */
export interface ApprovalEvidence {
  repository: string;
  pullRequest: {
    number: number;
    htmlUrl: string;
    author: string;
    headSha: string;
    mergeSha: string;
    baseRef: string;
    mergedBy: string | null;
    mergedAt: string;
  };
  /** The commit the approval rules were read from (the base branch, so a PR cannot lower its own bar). */
  rulesRevision: string;
  ciRunId: string | null;
  changedFiles: string[];
  approvals: CountedApproval[];
  ignored: IgnoredReview[];
  satisfied: boolean;
  /** Why the rules are not met; empty when `satisfied`. */
  unmet: string[];
}

export type GitHubEvidenceErrorCode = 'no_pull_request' | 'not_merged' | 'api_error';

/** The evidence could not be read: a direct push, an unmerged PR, or the API failing. */
export class GitHubEvidenceError extends Error {
  readonly code: GitHubEvidenceErrorCode;
  constructor(code: GitHubEvidenceErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'GitHubEvidenceError';
    this.code = code;
  }
}

export interface CollectEvidenceOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** The full SHA of the merge (or squash) commit on the protected branch. */
  mergeSha: string;
  /** Change-approval rules compiled from the base branch's ApprovalPolicy. */
  rules: CompiledChangeApproval;
  rulesRevision: string;
  ciRunId?: string;
}

/** GitHub review states that change a reviewer's verdict; `COMMENTED` and `PENDING` do not. */
const VERDICT_STATES = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);
const WRITE_PERMISSIONS = new Set(['admin', 'maintain', 'write']);

async function api<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const status = typeof err === 'object' && err !== null && 'status' in err ? ` (HTTP ${String(err.status)})` : '';
    throw new GitHubEvidenceError('api_error', `GitHub API: ${what} failed${status}`, { cause: err });
  }
}

/**
 * Reads the pull request behind `mergeSha` and decides whether its reviews meet the change-approval
 * rules: the latest verdict per reviewer, APPROVED, on the final head commit, not by the author,
 * by a mapped approver with write permission; quorum plus required groups per changed path.
 */
export async function collectApprovalEvidence(options: CollectEvidenceOptions): Promise<ApprovalEvidence> {
  const { octokit, owner, repo, mergeSha, rules } = options;
  const base = { owner, repo };
  const associated = await api('listing pull requests of the commit', () =>
    octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...base, commit_sha: mergeSha }),
  );
  const candidate = associated.data.find((pr) => pr.merge_commit_sha === mergeSha);
  if (!candidate) {
    throw new GitHubEvidenceError('no_pull_request', `commit ${mergeSha} was not merged through a pull request (direct push?)`);
  }
  const { data: pr } = await api(`reading pull request #${candidate.number}`, () => octokit.rest.pulls.get({ ...base, pull_number: candidate.number }));
  if (!pr.merged || !pr.merged_at || pr.merge_commit_sha !== mergeSha) {
    throw new GitHubEvidenceError('not_merged', `pull request #${pr.number} is not merged as ${mergeSha}`);
  }
  const [reviews, files] = await Promise.all([
    api('listing reviews', () => octokit.paginate(octokit.rest.pulls.listReviews, { ...base, pull_number: pr.number, per_page: 100 })),
    api('listing changed files', () => octokit.paginate(octokit.rest.pulls.listFiles, { ...base, pull_number: pr.number, per_page: 100 })),
  ]);
  const author = pr.user.login.toLowerCase();
  const approvers = new Map(rules.approvers.map((a) => [a.github.toLowerCase(), a]));
  const ignored: IgnoredReview[] = [];
  const approvals: CountedApproval[] = [];
  const ignore = (review: (typeof reviews)[number], reason: IgnoredReason): void => {
    ignored.push({ reviewId: review.id, login: review.user?.login ?? '', state: review.state, commitId: review.commit_id ?? null, reason });
  };
  const latest = new Map<string, (typeof reviews)[number]>();
  for (const review of [...reviews].sort((a, b) => (a.submitted_at ?? '').localeCompare(b.submitted_at ?? '') || a.id - b.id)) {
    const login = review.user?.login.toLowerCase();
    if (!login || !VERDICT_STATES.has(review.state)) continue;
    const earlier = latest.get(login);
    if (earlier) ignore(earlier, 'superseded');
    latest.set(login, review);
  }
  for (const [login, review] of latest) {
    const approver = approvers.get(login);
    if (review.state !== 'APPROVED') ignore(review, 'not_approved');
    else if (review.commit_id !== pr.head.sha) ignore(review, 'stale');
    else if (login === author) ignore(review, 'self_approval');
    else if (!approver) ignore(review, 'unknown_approver');
    else {
      const { data: level } = await api(`reading permission of ${login}`, () =>
        octokit.rest.repos.getCollaboratorPermissionLevel({ ...base, username: review.user!.login }),
      );
      const permission = level.role_name ?? level.permission;
      if (!WRITE_PERMISSIONS.has(level.permission) && !WRITE_PERMISSIONS.has(permission)) ignore(review, 'no_write_permission');
      else {
        approvals.push({
          reviewId: review.id,
          htmlUrl: review.html_url,
          login: review.user!.login,
          userId: review.user!.id,
          submittedAt: review.submitted_at ?? '',
          commitId: review.commit_id ?? '',
          subject: approver.subject,
          groups: [...approver.groups],
          permission,
        });
      }
    }
  }
  const changedFiles = files.map((f) => f.filename).sort();
  const unmet = unmetRules(rules, approvals, changedFiles);
  return {
    repository: `${owner}/${repo}`,
    pullRequest: {
      number: pr.number,
      htmlUrl: pr.html_url,
      author: pr.user.login,
      headSha: pr.head.sha,
      mergeSha,
      baseRef: pr.base.ref,
      mergedBy: pr.merged_by?.login ?? null,
      mergedAt: pr.merged_at,
    },
    rulesRevision: options.rulesRevision,
    ciRunId: options.ciRunId ?? null,
    changedFiles,
    approvals: approvals.sort((a, b) => a.reviewId - b.reviewId),
    ignored: ignored.sort((a, b) => a.reviewId - b.reviewId),
    satisfied: unmet.length === 0,
    unmet,
  };
}

/** The change-approval rules `approvals` do not meet for `changedFiles`. */
export function unmetRules(rules: CompiledChangeApproval, approvals: readonly CountedApproval[], changedFiles: readonly string[]): string[] {
  const unmet: string[] = [];
  if (approvals.length < rules.quorum) unmet.push(`needs ${rules.quorum} approval(s), has ${approvals.length}`);
  for (const rule of rules.paths) {
    const touched = changedFiles.filter((file) => matchesGlob(file, rule.pattern));
    if (touched.length === 0) continue;
    const fromGroups = approvals.filter((a) => a.groups.some((g) => rule.requiredGroups.includes(g))).length;
    if (fromGroups < rule.minApprovals) {
      unmet.push(`${rule.pattern} (${touched.join(', ')}) needs ${rule.minApprovals} approval(s) from ${rule.requiredGroups.join(' or ')}, has ${fromGroups}`);
    }
  }
  return unmet;
}

/** Posts the snapshot outcome as a commit status so it shows next to the merge commit. */
export async function postSnapshotStatus(
  octokit: Octokit,
  target: { owner: string; repo: string; sha: string },
  status: { state: 'success' | 'failure' | 'error'; description: string; targetUrl?: string },
): Promise<void> {
  await api('posting commit status', () =>
    octokit.rest.repos.createCommitStatus({
      owner: target.owner,
      repo: target.repo,
      sha: target.sha,
      state: status.state,
      context: 'embguard/snapshot',
      description: status.description.slice(0, 140),
      ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
    }),
  );
}
