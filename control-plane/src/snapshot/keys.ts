import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyStrings, keyIdHex, parseSignerKey, parseVerifierKey, type NoteSigner, type NoteVerifier } from '../signing/index.ts';
import type { SnapshotSignerInfo } from './types.ts';

/** Default signed-note key name of snapshot signing keys. */
export const SNAPSHOT_KEY_NAME = 'embguard-snapshot';
export const PRIVATE_KEY_FILE = 'snapshot-signing.key';
export const PUBLIC_KEY_FILE = 'snapshot-signing.pub';

/** `sha256:<hex>` of a raw Ed25519 public key: the fingerprint recorded in snapshots and printed by `keys generate`. */
export function publicKeyFingerprint(publicKey: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(publicKey).digest('hex')}`;
}

/** How a snapshot records the key that signed it. */
export function signerInfo(key: NoteSigner | NoteVerifier): SnapshotSignerInfo {
  return { name: key.name, keyId: keyIdHex(key.keyId), fingerprint: publicKeyFingerprint(key.publicKey) };
}

export interface GeneratedKeyFiles extends SnapshotSignerInfo {
  privateKeyFile: string;
  publicKeyFile: string;
  /** The verifier key string to pin in control planes. */
  publicKey: string;
}

/**
 * Creates an Ed25519 key pair in `outDir`: the signer key (mode 0600) and the verifier key with its
 * fingerprint. Refuses to overwrite existing key files.
 */
export function generateSnapshotKeyFiles(outDir: string, name: string = SNAPSHOT_KEY_NAME): GeneratedKeyFiles {
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const { skey, vkey } = generateKeyStrings(name);
  const privateKeyFile = path.join(outDir, PRIVATE_KEY_FILE);
  const publicKeyFile = path.join(outDir, PUBLIC_KEY_FILE);
  if (fs.existsSync(publicKeyFile)) throw new Error(`${publicKeyFile} already exists: refusing to overwrite a key`);
  fs.writeFileSync(privateKeyFile, `${skey}\n`, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicKeyFile, `${vkey}\n`, { mode: 0o644, flag: 'wx' });
  return { ...signerInfo(parseVerifierKey(vkey)), privateKeyFile, publicKeyFile, publicKey: vkey };
}

/** Parses a signer key string (file contents or environment value). */
export function parseSnapshotSigner(text: string): NoteSigner {
  return parseSignerKey(text.trim());
}

/** Parses pinned verifier keys: one key string per line; blank lines and `#` comments are skipped. */
export function parseTrustedKeys(text: string): NoteVerifier[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(parseVerifierKey);
}
