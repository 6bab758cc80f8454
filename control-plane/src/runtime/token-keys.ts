import type { CompiledMasking } from '../policy/index.ts';
import type { TokenKey } from '../masking/index.ts';
import { resolveSecret, SecretRefError, type SecretSources } from '../secrets/index.ts';

/** HMAC keys shorter than this are refused: tokens must not be brute-forceable through the key. */
const MIN_TOKEN_KEY_BYTES = 32;

function keyBytes(value: string): Buffer {
  return /^(?:[0-9a-fA-F]{2})+$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'utf8');
}

/** The tokenization key a snapshot names, resolved from its reference; none when nothing tokenizes. */
export function resolveTokenKeys(tokenization: CompiledMasking['tokenization'], sources: SecretSources): TokenKey[] {
  if (!tokenization) return [];
  const key = keyBytes(resolveSecret(tokenization.keyRef, sources));
  if (key.length < MIN_TOKEN_KEY_BYTES) {
    throw new SecretRefError(tokenization.keyRef, `the tokenization key must be at least ${MIN_TOKEN_KEY_BYTES} bytes`);
  }
  return [{ version: tokenization.keyVersion, key }];
}
