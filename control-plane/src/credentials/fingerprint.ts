import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Size of the fingerprint key: a full HMAC-SHA256 block of entropy. */
const FINGERPRINT_KEY_BYTES = 32;
/** Hex characters kept: 64 bits tell rotations apart without helping anyone guess the value. */
const FINGERPRINT_HEX_CHARS = 16;

/** Where the fingerprint key lives under `EMBGUARD_HOME`. */
export function fingerprintKeyFile(home: string): string {
  return path.join(home, 'keys', 'credential-fingerprint.key');
}

/**
 * The key that makes credential fingerprints keyed hashes: read from `file`, or created once
 * (mode 0600). A plain hash of a low-entropy credential could be brute-forced from the audit
 * log; an HMAC under a key that never leaves the gateway host cannot.
 */
export function loadFingerprintKey(file: string): Buffer {
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    // A damaged key file must not silently become an empty HMAC key.
    if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error(`${file} is not a ${FINGERPRINT_KEY_BYTES}-byte hex key`);
    return Buffer.from(text, 'hex');
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(FINGERPRINT_KEY_BYTES);
  try {
    fs.writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process (the other role) created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadFingerprintKey(file);
    throw err;
  }
}

/** `hmac-sha256:<16 hex>` of a credential value: tells two values apart, reveals nothing of either. */
export function credentialFingerprint(key: Buffer, value: string): string {
  return `hmac-sha256:${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_CHARS)}`;
}
