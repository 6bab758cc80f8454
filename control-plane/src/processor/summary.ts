import type { AuditUpstream } from '../audit/index.ts';

/** A summary of an embeddings response for the audit record: never the vectors themselves. */
export type ResponseSummary = NonNullable<AuditUpstream['response']>;

interface EmbeddingsResponseShape {
  data?: { embedding?: unknown }[];
  usage?: { prompt_tokens?: unknown; total_tokens?: unknown };
}

function dimensionsOf(embedding: unknown): number | undefined {
  if (Array.isArray(embedding)) return embedding.length;
  // base64: little-endian float32s.
  if (typeof embedding === 'string') return Math.floor(Buffer.byteLength(embedding, 'base64') / 4);
  return undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Reads count, dimensions and usage from an OpenAI embeddings response body; `{}` if it is not one. */
export function summarizeResponse(body: Buffer): ResponseSummary {
  let parsed: EmbeddingsResponseShape;
  try {
    parsed = JSON.parse(body.toString('utf8')) as EmbeddingsResponseShape;
  } catch {
    return {};
  }
  const data = Array.isArray(parsed?.data) ? parsed.data : undefined;
  const promptTokens = numberOrUndefined(parsed?.usage?.prompt_tokens);
  const totalTokens = numberOrUndefined(parsed?.usage?.total_tokens);
  const dimensions = data && data.length > 0 ? dimensionsOf(data[0]?.embedding) : undefined;
  const summary: ResponseSummary = {};
  if (data) summary.count = data.length;
  if (dimensions !== undefined) summary.dimensions = dimensions;
  if (promptTokens !== undefined || totalTokens !== undefined) summary.usage = { promptTokens, totalTokens };
  return summary;
}
