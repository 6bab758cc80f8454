import fs from 'node:fs';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { ActiveSnapshot } from '../runtime/index.ts';
import { openSnapshotSource, parseTrustedKeys, SnapshotLoader } from '../snapshot/index.ts';

/** No pinned key, no policy: the control plane refuses to start rather than trust any signer. */
export class NoTrustedKeysError extends Error {
  constructor(file: string) {
    super(`no pinned snapshot verifier keys in ${file}: set EMBGUARD_SNAPSHOT_TRUSTED_KEYS or run 'embguard keys generate'`);
    this.name = 'NoTrustedKeysError';
  }
}

/**
 * The verified-snapshot feed both roles run: the newest snapshot in the store whose signature,
 * hash, seq and approval check out, handed to `apply`; a refused file leaves the last good one.
 */
export function openSnapshotFeed(config: Readonly<Config>, logger: Logger, apply: (snapshot: ActiveSnapshot) => void): SnapshotLoader {
  const keysFile = config.snapshots.trustedKeysFile;
  const trustedKeys = fs.existsSync(keysFile) ? parseTrustedKeys(fs.readFileSync(keysFile, 'utf8')) : [];
  if (trustedKeys.length === 0) throw new NoTrustedKeysError(keysFile);
  return new SnapshotLoader({
    source: openSnapshotSource(config.snapshots.source),
    trustedKeys,
    allowUnapproved: config.snapshots.allowUnapproved,
    logger,
    onSnapshot: (update) => apply({ ref: { seq: update.seq, sha256: update.sha256, version: update.version }, compiled: update.compiled }),
  });
}
