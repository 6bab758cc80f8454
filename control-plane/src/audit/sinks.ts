import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/index.ts';
import type { AuditStore, StoredEntry } from './store.ts';

/**
 * Forwarding to long-term storage. A sink receives JSON lines `{"index":N,"entry":<leaf>}` where
 * `<leaf>` is the exact canonical bytes that were hashed, so a copy stays verifiable.
 */
export interface AuditSink {
  /** Names the sink's cursor in the store. */
  readonly name: string;
  /** Stores the lines durably; throws if it could not (they will be sent again). */
  deliver(lines: readonly string[]): Promise<void>;
}

/** The sink line of an entry. */
export function sinkLine(entry: StoredEntry): string {
  return `{"index":${entry.index},"entry":${entry.leaf}}`;
}

/** Appends lines to `<dir>/audit.jsonl`, fsyncing before it reports delivery. */
export function directorySink(dir: string, name = `dir:${dir}`): AuditSink {
  return fileSink(path.join(dir, 'audit.jsonl'), name);
}

/** Appends lines to one JSON-lines file, fsyncing before it reports delivery. */
export function fileSink(file: string, name = `file:${file}`): AuditSink {
  return {
    name,
    deliver: async (lines) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, 'a', 0o600);
      try {
        fs.writeSync(fd, lines.map((l) => `${l}\n`).join(''));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

/** POSTs lines as `application/x-ndjson`; any non-2xx answer is a failed delivery. */
export function httpSink(url: string, options: { name?: string; headers?: Record<string, string> } = {}): AuditSink {
  return {
    name: options.name ?? `http:${url}`,
    deliver: async (lines) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', ...options.headers },
        body: lines.map((l) => `${l}\n`).join(''),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`audit sink ${url} answered ${response.status}`);
    },
  };
}

/**
 * Sends the entries a sink has not acknowledged yet, in batches, advancing its persisted cursor
 * only after each delivery succeeded: at-least-once (a crash between delivery and cursor update
 * resends that batch; receivers de-duplicate by `index`). Returns how many entries were delivered.
 */
export async function forwardToSink(store: AuditStore, sink: AuditSink, batchSize = 1000): Promise<number> {
  let delivered = 0;
  let cursor = await store.getCursor(sink.name);
  const size = await store.size();
  while (cursor < size) {
    const entries = await store.readEntries(cursor, Math.min(cursor + batchSize, size));
    if (entries.length === 0) break;
    await sink.deliver(entries.map(sinkLine));
    cursor = (entries[entries.length - 1] as StoredEntry).index + 1;
    await store.setCursor(sink.name, cursor);
    delivered += entries.length;
  }
  return delivered;
}

/**
 * Forwards to a sink every `intervalMs` until the returned `stop` is called; a failed delivery is
 * logged and retried on the next round.
 */
export function startSinkForwarder(
  store: AuditStore,
  sink: AuditSink,
  options: { intervalMs?: number; logger: Logger },
): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const round = (): void => {
    running = running
      .then(() => forwardToSink(store, sink))
      .catch((err: Error) => options.logger.warn({ sink: sink.name, err: err.message }, 'audit sink delivery failed'));
  };
  const timer = setInterval(round, options.intervalMs ?? 5000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
