import { createHash } from 'node:crypto';

/** Models the demo upstream serves, with their native dimensions. */
export const DEMO_MODELS: Readonly<Record<string, number>> = Object.freeze({
  'demo-embed': 384,
  'demo-embed-large': 1024,
});

const WORD = /[\p{L}\p{N}_<>]+/gu;

/** Deterministic pseudo-embedding items: the words (or token ids) of one input. */
export function featuresOf(input: string | readonly number[]): string[] {
  if (typeof input === 'string') return input.toLowerCase().match(WORD) ?? [];
  return input.map((id) => `#${id}`);
}

/**
 * Feature hashing: each feature adds ±1 to one dimension chosen by its SHA-256, then the vector is
 * L2-normalised. Same text → same vector; texts sharing words point in similar directions.
 */
export function embed(features: readonly string[], dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const feature of features) {
    const digest = createHash('sha256').update(feature).digest();
    const index = digest.readUInt32BE(0) % dimensions;
    vector[index] = (vector[index] ?? 0) + ((digest[4] ?? 0) & 1 ? 1 : -1);
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) / norm;
  return vector;
}

/** OpenAI's base64 encoding: the little-endian float32 bytes of the vector. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
