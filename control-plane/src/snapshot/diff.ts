import { canonicalJson } from './canonical.ts';
import { snapshotVersion, type SnapshotManifest } from './types.ts';

export interface SnapshotDiff {
  from: string;
  to: string;
  revisions: { from: string; to: string };
  documents: { added: string[]; removed: string[]; changed: string[] };
  /** Leaf changes of the compiled policy, by JSON path. */
  compiled: { path: string; before: unknown; after: unknown }[];
}

function documentKeys(manifest: SnapshotManifest): Map<string, string> {
  return new Map(manifest.content.documents.map((d) => [`${d.document.kind}/${d.document.metadata.name}`, canonicalJson(d.document)]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function leafChanges(before: unknown, after: unknown, at: string, out: SnapshotDiff['compiled']): void {
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      leafChanges(before[key], after[key], Array.isArray(before) ? `${at}[${key}]` : `${at}.${key}`, out);
    }
    return;
  }
  if (canonicalJson(before ?? null) !== canonicalJson(after ?? null)) out.push({ path: at, before: before ?? null, after: after ?? null });
}

/** What changed between two snapshots: documents by kind/name, and the compiled policy leaf by leaf. */
export function diffSnapshots(a: SnapshotManifest, b: SnapshotManifest): SnapshotDiff {
  const before = documentKeys(a);
  const after = documentKeys(b);
  const compiled: SnapshotDiff['compiled'] = [];
  leafChanges(a.content.compiled, b.content.compiled, '$', compiled);
  return {
    from: snapshotVersion(a.seq, a.sha256),
    to: snapshotVersion(b.seq, b.sha256),
    revisions: { from: a.revision, to: b.revision },
    documents: {
      added: [...after.keys()].filter((k) => !before.has(k)).sort(),
      removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
      changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort(),
    },
    compiled,
  };
}
