import fs from 'node:fs';
import type { AuditStore } from '../audit/index.ts';
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

/** How far back from the end of the audit log to look for the snapshot last in force. */
const RECENT_ENTRIES = 512;

/**
 * The seq of the snapshot last in force, from the newest audit entries that name one (every
 * request and every activation does). Used as a floor so a restart cannot be fed an older snapshot.
 */
export async function lastEnforcedSeq(store: AuditStore): Promise<number | undefined> {
  const size = await store.size();
  const recent = await store.readEntries(Math.max(0, size - RECENT_ENTRIES), size);
  let seq: number | undefined;
  for (const entry of recent) {
    const policy = (JSON.parse(entry.leaf) as { policy?: { seq?: unknown } }).policy;
    if (typeof policy?.seq === 'number') seq = Math.max(seq ?? 0, policy.seq);
  }
  return seq;
}

/**
 * The verified-snapshot feed both roles run: the newest snapshot in the store whose signature,
 * hash, seq and approval check out, handed to `apply`; a refused file leaves the last good one.
 */
export function openSnapshotFeed(
  config: Readonly<Config>,
  logger: Logger,
  apply: (snapshot: ActiveSnapshot) => void,
  lastSeq?: number,
): SnapshotLoader {
  const keysFile = config.snapshots.trustedKeysFile;
  const trustedKeys = fs.existsSync(keysFile) ? parseTrustedKeys(fs.readFileSync(keysFile, 'utf8')) : [];
  if (trustedKeys.length === 0) throw new NoTrustedKeysError(keysFile);
  return new SnapshotLoader({
    source: openSnapshotSource(config.snapshots.source),
    trustedKeys,
    allowUnapproved: config.snapshots.allowUnapproved,
    // The snapshot last in force may be loaded again; anything older is a replay.
    ...(lastSeq !== undefined ? { minSeq: lastSeq - 1 } : {}),
    logger,
    onSnapshot: (update) => apply({ ref: { seq: update.seq, sha256: update.sha256, version: update.version }, compiled: update.compiled }),
  });
}
