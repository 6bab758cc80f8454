/**
 * GitHub as the change-approval authority: approval evidence for a merge commit read through
 * `@octokit/rest`, commit statuses, and webhook signature checks (`@octokit/webhooks-methods`).
 *
 * Typical use: `collectApprovalEvidence({ octokit: createGitHubClient({ token }), owner, repo, mergeSha, rules, rulesRevision })`.
 */
import { Octokit } from '@octokit/rest';

export {
  GitHubEvidenceError,
  collectApprovalEvidence,
  postSnapshotStatus,
  unmetRules,
  type ApprovalEvidence,
  type CollectEvidenceOptions,
  type CountedApproval,
  type GitHubEvidenceErrorCode,
  type IgnoredReason,
  type IgnoredReview,
} from './evidence.ts';
export { REVIEW_WEBHOOK_EVENT, verifyWebhookSignature } from './webhook.ts';
export { matchesGlob } from './glob.ts';
export type { Octokit } from '@octokit/rest';

/** GitHub's public REST API; GitHub Enterprise Server and tests pass their own `baseUrl`. */
export const GITHUB_API_URL = 'https://api.github.com';

/** An Octokit client; `token` may be undefined for public, unauthenticated reads. */
export function createGitHubClient(options: { token?: string; baseUrl?: string } = {}): Octokit {
  return new Octokit({
    ...(options.token ? { auth: options.token } : {}),
    baseUrl: options.baseUrl ?? GITHUB_API_URL,
    userAgent: 'embguard-snapshot',
  });
}
