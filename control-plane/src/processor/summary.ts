import type { ResponseSummary } from './record.ts';

/** The processor reads at most this much of a response to summarise it; the rest streams past. */
export const SUMMARY_READ_LIMIT_BYTES = 4 * 1024 * 1024;

interface EmbeddingsResponseShape {
  data?: { embedding?: unknown }[];
  usage?: { prompt_tokens?: unknown; total_tokens?: unknown };
}

function dimensionsOf(embedding: unknown): number | undefined {
  if (Array.isArray(embedding)) return embedding.length;
  // base64: little-endian float32s.
  if (typeof embedding === 'string') return Math.floor((embedding.length * 3) / 4 / 4);
  return undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Collects the body of one response, up to the read limit, and summarises it at the end. */
export class ResponseSummarizer {
  #chunks: Buffer[] = [];
  #kept = 0;
  #bytes = 0;

  add(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#kept + chunk.length <= SUMMARY_READ_LIMIT_BYTES) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
    }
  }

  get truncated(): boolean {
    return this.#bytes > this.#kept;
  }

  summary(): ResponseSummary {
    if (this.truncated) return { bytes: this.#bytes, truncated: true };
    let parsed: EmbeddingsResponseShape;
    try {
      parsed = JSON.parse(Buffer.concat(this.#chunks).toString('utf8')) as EmbeddingsResponseShape;
    } catch {
      return { bytes: this.#bytes, truncated: false };
    }
    const data = Array.isArray(parsed?.data) ? parsed.data : undefined;
    return {
      bytes: this.#bytes,
      truncated: false,
      count: data?.length,
      dimensions: data && data.length > 0 ? dimensionsOf(data[0]?.embedding) : undefined,
      promptTokens: numberOrUndefined(parsed?.usage?.prompt_tokens),
      totalTokens: numberOrUndefined(parsed?.usage?.total_tokens),
    };
  }
}
