import type { AuditStore, StoredEntry } from './store.ts';

const CHUNK = 20_000;

/**
 * Visits the stored entries with `from <= index < to` in index order, reading in chunks so a log of
 * millions of entries never sits in memory at once.
 */
export async function forEachEntry(
  store: AuditStore,
  from: number,
  to: number,
  visit: (entry: StoredEntry) => void,
): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    for (const entry of await store.readEntries(start, Math.min(start + CHUNK, to))) visit(entry);
  }
}
