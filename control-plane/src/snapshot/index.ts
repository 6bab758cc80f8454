/**
 * Signed, versioned policy snapshots: build (canonical JSON, sha256, monotonic seq, Git revision,
 * parent hash, approval evidence) and sign as a C2SP signed note; store as immutable files; verify
 * and load the newest valid one for the control plane, keeping the last good one on any failure.
 *
 * Control plane: `new SnapshotLoader({ source: openSnapshotSource(dir), trustedKeys, logger,
 * onSnapshot })`, then `await loader.reload()` and `loader.watch()`.
 */
export {
  SNAPSHOT_API_VERSION,
  SnapshotBuildError,
  SnapshotRejectedError,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotVersion,
  type SnapshotContent,
  type SnapshotManifest,
  type SnapshotRejection,
  type SnapshotSignerInfo,
} from './types.ts';
export { buildSnapshot, type BuildSnapshotOptions, type BuiltSnapshot } from './build.ts';
export { openSnapshot, readManifestUnverified, type OpenSnapshotOptions, type VerifiedSnapshot } from './verify.ts';
export { DirectorySnapshotStore, HttpSnapshotSource, INDEX_FILE, openSnapshotSource, type SnapshotSource } from './store.ts';
export { SnapshotLoader, type ReloadOutcome, type SnapshotLoaderOptions, type SnapshotUpdate } from './loader.ts';
export {
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  SNAPSHOT_KEY_NAME,
  generateSnapshotKeyFiles,
  parseSnapshotSigner,
  parseTrustedKeys,
  publicKeyFingerprint,
  signerInfo,
  type GeneratedKeyFiles,
} from './keys.ts';
export { gitBaseRevision, gitRevParse, readPolicyFilesAt } from './git.ts';
export { diffSnapshots, type SnapshotDiff } from './diff.ts';
export { canonicalSha256 } from './canonical.ts';
export { PolicyInvalidError, buildSnapshotFromGit, type BuildFromGitOptions } from './pipeline.ts';
