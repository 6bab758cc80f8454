import fs from 'node:fs';
import { Command } from 'commander';
import { systemClock } from '../../clock/index.ts';
import { loadConfig, type Config } from '../../config/index.ts';
import { GITHUB_API_URL, createGitHubClient, postSnapshotStatus } from '../../github/index.ts';
import { githubAnnotation } from '../../policy/index.ts';
import {
  DirectorySnapshotStore,
  PolicyInvalidError,
  SnapshotBuildError,
  SnapshotRejectedError,
  buildSnapshotFromGit,
  diffSnapshots,
  openSnapshot,
  openSnapshotSource,
  parseSnapshotFileName,
  parseSnapshotSigner,
  parseTrustedKeys,
  readManifestUnverified,
  snapshotVersion,
  type SnapshotManifest,
  type SnapshotSource,
} from '../../snapshot/index.ts';
import type { NoteSigner, NoteVerifier } from '../../signing/index.ts';

interface BuildOptions {
  dir: string;
  repo: string;
  revision: string;
  store?: string;
  keyFile?: string;
  keyEnv: string;
  githubRepo?: string;
  githubApiUrl: string;
  githubTokenEnv: string;
  ciRunId?: string;
  builder: string;
  seq?: string;
  devUnapproved?: boolean;
  postStatus?: boolean;
}

function loadSigner(config: Readonly<Config>, options: BuildOptions): NoteSigner {
  if (options.keyFile) return parseSnapshotSigner(fs.readFileSync(options.keyFile, 'utf8'));
  const fromEnv = config.secretEnv[options.keyEnv];
  if (!fromEnv) throw new SnapshotBuildError(`no signing key: pass --key-file or set ${options.keyEnv} (create one with \`embguard keys generate\`)`);
  return parseSnapshotSigner(fromEnv);
}

function githubTarget(config: Readonly<Config>, options: BuildOptions) {
  if (!options.githubRepo) return undefined;
  const [owner, repo] = options.githubRepo.split('/');
  if (!owner || !repo) throw new SnapshotBuildError(`--github-repo must be owner/name, got ${options.githubRepo}`);
  const token = config.secretEnv[options.githubTokenEnv];
  const octokit = createGitHubClient({ baseUrl: options.githubApiUrl, ...(token ? { token } : {}) });
  return { octokit, owner, repo, ...(options.ciRunId ? { ciRunId: options.ciRunId } : {}) };
}

async function build(options: BuildOptions): Promise<void> {
  const config = loadConfig();
  const storeDir = options.store ?? config.snapshots.source;
  if (/^https?:\/\//.test(storeDir)) throw new SnapshotBuildError('snapshot build writes to a directory store; pass --store <dir>');
  const github = githubTarget(config, options);
  try {
    const built = await buildSnapshotFromGit({
      repo: options.repo,
      policyDir: options.dir,
      revision: options.revision,
      store: new DirectorySnapshotStore(storeDir),
      signers: [loadSigner(config, options)],
      clock: systemClock,
      builder: options.builder,
      allowUnapproved: options.devUnapproved === true,
      ...(options.seq !== undefined ? { seq: Number(options.seq) } : {}),
      ...(github ? { github } : {}),
    });
    const { manifest } = built;
    process.stdout.write(`${JSON.stringify({ seq: manifest.seq, version: built.version, sha256: manifest.sha256, revision: manifest.revision, approved: manifest.approved, file: built.file })}\n`);
    process.stderr.write(`snapshot ${built.version} written to ${built.file}${manifest.approved ? '' : ' (UNAPPROVED: development only)'}\n`);
    if (github && options.postStatus) {
      await postSnapshotStatus(github.octokit, { owner: github.owner, repo: github.repo, sha: manifest.revision }, { state: 'success', description: `snapshot ${built.version} signed` });
    }
  } catch (err) {
    if (!(err instanceof SnapshotBuildError)) throw err;
    if (err instanceof PolicyInvalidError && config.ci.githubActions) {
      for (const problem of err.problems) process.stdout.write(`${githubAnnotation(problem)}\n`);
    }
    process.stderr.write(`embguard: ${err.message}\n`);
    process.exitCode = 1;
  }
}

/** Pinned keys if the configured file exists; listing then reports whether each snapshot verifies. */
function trustedKeys(config: Readonly<Config>, file: string | undefined): NoteVerifier[] | undefined {
  const keysFile = file ?? config.snapshots.trustedKeysFile;
  return fs.existsSync(keysFile) ? parseTrustedKeys(fs.readFileSync(keysFile, 'utf8')) : undefined;
}

interface Listed {
  name: string;
  manifest: SnapshotManifest;
  /** `true`/`false` when keys are pinned, `null` when there is nothing to verify against. */
  verified: boolean | null;
  problem: string | null;
}

async function listSnapshots(source: SnapshotSource, keys: NoteVerifier[] | undefined): Promise<Listed[]> {
  const listed: Listed[] = [];
  for (const name of await source.list()) {
    const bytes = await source.read(name);
    let verified: boolean | null = null;
    let problem: string | null = null;
    if (keys) {
      try {
        openSnapshot(name, bytes, { trustedKeys: keys, allowUnapproved: true });
        verified = true;
      } catch (err) {
        if (!(err instanceof SnapshotRejectedError)) throw err;
        verified = false;
        problem = err.reason;
      }
    }
    try {
      listed.push({ name, manifest: readManifestUnverified(name, bytes), verified, problem });
    } catch (err) {
      if (!(err instanceof SnapshotRejectedError)) throw err;
      process.stderr.write(`embguard: ${err.message}\n`);
    }
  }
  return listed;
}

function summary(entry: Listed) {
  const { manifest } = entry;
  return {
    seq: manifest.seq,
    version: snapshotVersion(manifest.seq, manifest.sha256),
    sha256: manifest.sha256,
    revision: manifest.revision,
    parent: manifest.parent,
    builtAt: manifest.builtAt,
    builder: manifest.builder,
    approved: manifest.approved,
    pullRequest: manifest.approvals?.pullRequest.htmlUrl ?? null,
    approvers: manifest.approvals?.approvals.map((a) => ({ login: a.login, subject: a.subject, submittedAt: a.submittedAt })) ?? [],
    signers: manifest.signers,
    verified: entry.verified,
    problem: entry.problem,
    file: entry.name,
  };
}

async function findBySeq(source: SnapshotSource, seq: string): Promise<SnapshotManifest> {
  const name = (await source.list()).find((n) => parseSnapshotFileName(n)?.seq === Number(seq));
  if (!name) throw new Error(`no snapshot with seq ${seq} in ${source.location}`);
  return readManifestUnverified(name, await source.read(name));
}

interface StoreOptions {
  store?: string;
  trustedKeys?: string;
}

function withStore(command: Command): Command {
  return command
    .option('--store <dir|url>', 'snapshot store (default: EMBGUARD_SNAPSHOT_SOURCE or $EMBGUARD_HOME/snapshots)')
    .option('--trusted-keys <file>', 'pinned verifier keys, one per line (default: $EMBGUARD_HOME/keys/snapshot-signing.pub)');
}

function sourceOf(options: StoreOptions): { config: Readonly<Config>; source: SnapshotSource } {
  const config = loadConfig();
  return { config, source: openSnapshotSource(options.store ?? config.snapshots.source) };
}

/** `embguard snapshot build|list|show|diff`: signed policy snapshots and their history. */
export function registerSnapshotCommands(program: Command): void {
  const snapshot = program.command('snapshot').description('Build, sign and inspect policy snapshots');

  snapshot
    .command('build')
    .description('Build, sign and store the snapshot of the policy at a Git commit, with its PR approval evidence')
    .option('--dir <dir>', 'policy directory inside the repository', 'policies')
    .option('--repo <dir>', 'Git working copy', '.')
    .option('--revision <ref>', 'commit to build (the merge commit on main)', 'HEAD')
    .option('--store <dir>', 'snapshot store directory (default: $EMBGUARD_HOME/snapshots)')
    .option('--key-file <file>', 'signer key file (from `embguard keys generate`)')
    .option('--key-env <name>', 'environment variable holding the signer key', 'EMBGUARD_SNAPSHOT_SIGNING_KEY')
    .option('--github-repo <owner/name>', 'read approval evidence from this GitHub repository')
    .option('--github-api-url <url>', 'GitHub REST API base URL', GITHUB_API_URL)
    .option('--github-token-env <name>', 'environment variable holding the GitHub token', 'GITHUB_TOKEN')
    .option('--ci-run-id <id>', 'CI run id recorded with the evidence')
    .option('--builder <text>', 'who or what builds (recorded)', 'embguard-cli')
    .option('--seq <n>', 'explicit seq (must be above the newest in the store)')
    .option('--dev-unapproved', 'development only: build even if approval rules are not met; marks the snapshot unapproved')
    .option('--post-status', 'post the result as a commit status on GitHub')
    .action(build);

  withStore(snapshot.command('list'))
    .description('List stored snapshots, oldest first, with approvers and signature status (JSON)')
    .action(async (options: StoreOptions) => {
      const { config, source } = sourceOf(options);
      const listed = await listSnapshots(source, trustedKeys(config, options.trustedKeys));
      process.stdout.write(`${JSON.stringify(listed.map(summary), null, 2)}\n`);
    });

  withStore(snapshot.command('show <seq>'))
    .description('Print one snapshot manifest (JSON)')
    .action(async (seq: string, options: StoreOptions) => {
      const { source } = sourceOf(options);
      process.stdout.write(`${JSON.stringify(await findBySeq(source, seq), null, 2)}\n`);
    });

  withStore(snapshot.command('diff <a> <b>'))
    .description('What changed between two snapshots, by seq (JSON)')
    .action(async (a: string, b: string, options: StoreOptions) => {
      const { source } = sourceOf(options);
      process.stdout.write(`${JSON.stringify(diffSnapshots(await findBySeq(source, a), await findBySeq(source, b)), null, 2)}\n`);
    });
}
