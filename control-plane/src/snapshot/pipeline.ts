import type { Clock } from '../clock/index.ts';
import { GitHubEvidenceError, collectApprovalEvidence, type ApprovalEvidence, type Octokit } from '../github/index.ts';
import {
  compilePolicy,
  formatProblem,
  validatePolicySources,
  type CompiledChangeApproval,
  type ContentChecks,
  type PolicyProblem,
} from '../policy/index.ts';
import type { NoteSigner } from '../signing/index.ts';
import { buildSnapshot, type BuiltSnapshot } from './build.ts';
import { gitBaseRevision, gitRevParse, readPolicyFilesAt } from './git.ts';
import type { DirectorySnapshotStore } from './store.ts';
import { SnapshotBuildError } from './types.ts';

/** The policy files at the revision do not validate; `problems` carries every `file:line:col`. */
export class PolicyInvalidError extends SnapshotBuildError {
  readonly problems: readonly PolicyProblem[];
  constructor(revision: string, problems: readonly PolicyProblem[]) {
    super(`policy at ${revision.slice(0, 12)} is invalid:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'PolicyInvalidError';
    this.problems = problems;
  }
}

export interface BuildFromGitOptions {
  /** Any directory inside the Git working copy. */
  repo: string;
  /** The policy directory, relative to `repo`. */
  policyDir: string;
  /** Commit to build; `HEAD` by default. */
  revision?: string;
  store: DirectorySnapshotStore;
  signers: readonly NoteSigner[];
  clock: Clock;
  builder: string;
  /** Where to read review evidence; without it the snapshot can only be built `allowUnapproved`. */
  github?: { octokit: Octokit; owner: string; repo: string; ciRunId?: string };
  allowUnapproved: boolean;
  seq?: number;
  checks?: ContentChecks;
}

function validatedAt(options: BuildFromGitOptions, revision: string) {
  const files = readPolicyFilesAt(options.repo, revision, options.policyDir);
  const result = validatePolicySources(files, { label: options.policyDir, ...(options.checks ? { checks: options.checks } : {}) });
  if (!result.ok) throw new PolicyInvalidError(revision, result.problems);
  return result.documents;
}

/** Change-approval rules as the base branch states them, so a pull request cannot lower its own bar. */
function baseRules(options: BuildFromGitOptions, base: string): CompiledChangeApproval {
  const rules = compilePolicy(validatedAt(options, base).map((d) => d.document)).approval.change;
  if (!rules) throw new SnapshotBuildError(`the base revision ${base.slice(0, 12)} has no change-approval rules (ApprovalPolicy spec.change)`);
  return rules;
}

async function evidenceFor(options: BuildFromGitOptions, revision: string): Promise<ApprovalEvidence | null> {
  if (!options.github) {
    if (options.allowUnapproved) return null;
    throw new SnapshotBuildError('no GitHub repository given to read approvals from (use --dev-unapproved for development)');
  }
  try {
    const base = gitBaseRevision(options.repo, revision);
    if (!base) throw new SnapshotBuildError(`${revision.slice(0, 12)} has no parent commit to read the approval rules from`);
    const { octokit, owner, repo, ciRunId } = options.github;
    return await collectApprovalEvidence({ octokit, owner, repo, mergeSha: revision, rules: baseRules(options, base), rulesRevision: base, ...(ciRunId ? { ciRunId } : {}) });
  } catch (err) {
    if (options.allowUnapproved && (err instanceof GitHubEvidenceError || err instanceof SnapshotBuildError)) return null;
    if (err instanceof SnapshotBuildError) throw err;
    throw new SnapshotBuildError(`approval evidence: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The `snapshot build` pipeline: policy files as committed at the revision → validate → compile →
 * approval evidence (rules from the base branch) → sign → store.
 */
export async function buildSnapshotFromGit(options: BuildFromGitOptions): Promise<BuiltSnapshot> {
  const revision = gitRevParse(options.repo, options.revision ?? 'HEAD');
  const documents = validatedAt(options, revision);
  const compiled = compilePolicy(documents.map((d) => d.document));
  const approvals = await evidenceFor(options, revision);
  return buildSnapshot({
    store: options.store,
    content: { documents, compiled },
    revision,
    signers: options.signers,
    approvals,
    allowUnapproved: options.allowUnapproved,
    builder: options.builder,
    clock: options.clock,
    ...(options.seq !== undefined ? { seq: options.seq } : {}),
  });
}
