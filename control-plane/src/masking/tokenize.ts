import { createHmac } from 'node:crypto';
import type { TokenKey } from './types.ts';

// Crockford base32 (no I, L, O, U): unambiguous when read aloud or retyped.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 13 base32 characters carry 65 bits of the HMAC: at least 64, as the design requires. */
export const TOKEN_CHARS = 13;

function crockford(bytes: Buffer, chars: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += CROCKFORD[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === chars) break;
  }
  return out;
}

/** Thrown when a rule tokenizes but no usable key was given. */
export class TokenKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenKeyError';
  }
}

/**
 * Makes tokens with the newest of a set of versioned keys. A token is HMAC-SHA-256 over the entity
 * type and its canonical value: the same entity gets the same token under one key version, and
 * nothing is reversible or brute-forceable without the key (a plain hash of a phone number is).
 */
export class Tokenizer {
  readonly #keys: ReadonlyMap<number, Buffer>;
  readonly currentVersion: number;

  constructor(keys: readonly TokenKey[]) {
    if (keys.length === 0) throw new TokenKeyError('no token key');
    const map = new Map<number, Buffer>();
    for (const { version, key } of keys) {
      if (!Number.isInteger(version) || version < 1) throw new TokenKeyError('token key versions are positive integers');
      if (key.length < 16) throw new TokenKeyError(`token key version ${version} is shorter than 16 bytes`);
      if (map.has(version)) throw new TokenKeyError(`token key version ${version} given twice`);
      map.set(version, Buffer.from(key));
    }
    this.#keys = map;
    this.currentVersion = Math.max(...map.keys());
  }

  /** The token text (without the type and brackets) for a value, under `version` (default: newest). */
  token(type: string, canonical: string, version = this.currentVersion): string {
    const key = this.#keys.get(version);
    if (!key) throw new TokenKeyError(`no token key version ${version}`);
    const mac = createHmac('sha256', key).update(type).update('\0').update(canonical).digest();
    return crockford(mac, TOKEN_CHARS);
  }
}
