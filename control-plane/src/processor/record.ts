import fs from 'node:fs';
import path from 'node:path';

/** Which signed policy snapshot was in force for a decision: `<seq>-<sha256[0:12]>` is its version. */
export interface SnapshotRef {
  readonly seq: number;
  readonly sha256: string;
  readonly version: string;
}

/** The verified caller, from the claims Envoy's jwt_authn put in metadata. */
export interface CallerIdentity {
  readonly subject: string;
  readonly groups: readonly string[];
  readonly issuer: string;
  readonly clientId: string | undefined;
}

export type ExchangeEntryType = 'request.received' | 'request.denied' | 'request.completed';

/** A summary of an embeddings response: never the vectors themselves. */
export interface ResponseSummary {
  readonly count?: number;
  readonly dimensions?: number;
  readonly promptTokens?: number;
  readonly totalTokens?: number;
  readonly bytes: number;
  /** True when the body was larger than the processor reads for a summary. */
  readonly truncated: boolean;
}

/**
 * One step of one exchange, as the processor hands it to the recorder. It holds counts, types,
 * rule ids and masked text only: never an input, a finding's value or a token.
 */
export interface ExchangeEntry {
  readonly type: ExchangeEntryType;
  readonly requestId: string;
  /** Server UTC time, RFC 3339. */
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly sourceAddress: string | undefined;
  readonly identity: CallerIdentity | undefined;
  readonly model: string | undefined;
  readonly inputCount: number | undefined;
  readonly requestBytes: number | undefined;
  readonly decision: 'allow' | 'deny' | 'held';
  readonly ruleIds: readonly string[];
  /** Error catalog code of a refusal. */
  readonly errorCode: string | undefined;
  readonly masking: MaskingSummary | undefined;
  readonly policy: SnapshotRef;
  readonly upstream: { readonly status: number; readonly latencyMs: number; readonly response?: ResponseSummary } | undefined;
}

export interface MaskingSummary {
  readonly entityCounts: Readonly<Record<string, number>>;
  readonly ruleIds: readonly string[];
  readonly actions: readonly string[];
  /** The masked input, shortened; erasable content kept outside the tamper-evident leaves. */
  readonly maskedExcerpt: string | undefined;
}

/**
 * Where exchanges are recorded. `record` resolves only once the entry is durable: the processor
 * forwards a request upstream only after its `request.received` entry resolved.
 */
export interface ExchangeRecorder {
  record(entry: ExchangeEntry): Promise<void>;
  close(): Promise<void>;
}

/**
 * Append-only JSON lines with an fdatasync per write batch. The plain recorder for development;
 * the tamper-evident audit log implements the same interface.
 */
export async function openJsonlRecorder(file: string): Promise<ExchangeRecorder> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.promises.open(file, 'a', 0o600);
  let tail: Promise<void> = Promise.resolve();
  return {
    record(entry) {
      const line = `${JSON.stringify(entry)}\n`;
      const write = tail.then(async () => {
        await handle.appendFile(line, 'utf8');
        await handle.datasync();
      });
      tail = write.catch(() => undefined);
      return write;
    },
    async close() {
      await tail;
      await handle.close();
    },
  };
}
