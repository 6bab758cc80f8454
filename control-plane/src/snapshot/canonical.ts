import crypto from 'node:crypto';
import { canonicalJson } from '../audit/index.ts';

/** SHA-256 (hex) of the RFC 8785 canonical JSON of `value`. */
export function canonicalSha256(value: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

export { canonicalJson };
