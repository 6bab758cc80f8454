import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock/index.ts';
import { PROJECT_ROOT, type Config } from '../config/index.ts';
import { compilePolicy, formatProblem, validatePolicySet, type PolicyFileDocument } from '../policy/index.ts';
import {
  buildSnapshot,
  canonicalSha256,
  DirectorySnapshotStore,
  generateSnapshotKeyFiles,
  gitRevParse,
  parseSnapshotFileName,
  parseSnapshotSigner,
  PRIVATE_KEY_FILE,
  type SnapshotContent,
} from '../snapshot/index.ts';

/** The policy directory does not validate; the message lists every `file:line:col` problem. */
export class PolicyDirectoryInvalidError extends Error {
  constructor(problems: readonly string[]) {
    super(`the policy does not validate:\n${problems.join('\n')}`);
    this.name = 'PolicyDirectoryInvalidError';
  }
}

const NO_REVISION = '0'.repeat(40);

function revisionOf(dir: string): string {
  try {
    return gitRevParse(dir, 'HEAD');
  } catch {
    return NO_REVISION;
  }
}

/** The local development signing key in `keyDir`, created (0600, with its .pub) on first use. */
function devSigner(keyDir: string) {
  const privateKeyFile = path.join(keyDir, PRIVATE_KEY_FILE);
  if (!fs.existsSync(privateKeyFile)) generateSnapshotKeyFiles(keyDir);
  return parseSnapshotSigner(fs.readFileSync(privateKeyFile, 'utf8'));
}

/**
 * Signs `documents` as an *unapproved* snapshot with the development key in `keyDir` into the store
 * at `storeDir`; returns its version. What `up --demo` and the end-to-end harnesses publish.
 */
export async function signDevelopmentSnapshot(options: {
  storeDir: string;
  keyDir: string;
  documents: readonly PolicyFileDocument[];
  builder: string;
  clock: Clock;
  revision?: string;
}): Promise<string> {
  const built = await buildSnapshot({
    store: new DirectorySnapshotStore(options.storeDir),
    content: { documents: [...options.documents], compiled: compilePolicy(options.documents.map((d) => d.document)) },
    revision: options.revision ?? NO_REVISION,
    signers: [devSigner(options.keyDir)],
    approvals: null,
    allowUnapproved: true,
    builder: options.builder,
    clock: options.clock,
  });
  return built.version;
}

/**
 * Development mode (`embguard up --demo`): signs the working tree's policy as an *unapproved*
 * snapshot with a local key, unless the newest stored snapshot already has the same content. The
 * control plane then loads it through the same verifying path as a CI-built snapshot.
 */
export async function buildDevSnapshot(config: Readonly<Config>, clock: Clock): Promise<string> {
  const result = validatePolicySet(config.policyDir);
  if (!result.ok) throw new PolicyDirectoryInvalidError(result.problems.map(formatProblem));
  const content: SnapshotContent = {
    documents: result.documents.map(({ file, document }) => ({ file, document })),
    compiled: compilePolicy(result.documents.map((d) => d.document)),
  };
  const store = new DirectorySnapshotStore(config.snapshots.source);
  const sha256 = canonicalSha256(content);
  const newest = (await store.list()).map(parseSnapshotFileName).filter((p) => p !== undefined).at(-1);
  if (newest?.hash12 === sha256.slice(0, 12)) return `${newest.seq}-${newest.hash12}`;
  return signDevelopmentSnapshot({
    storeDir: config.snapshots.source,
    keyDir: path.dirname(config.snapshots.trustedKeysFile),
    documents: content.documents,
    builder: 'embguard up --demo',
    clock,
    revision: revisionOf(PROJECT_ROOT),
  });
}
