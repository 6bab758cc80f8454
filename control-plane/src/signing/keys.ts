import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Ed25519 keys in the C2SP signed-note text encodings (https://c2sp.org/signed-note):
 * verifier key `name+hexkeyid+base64(0x01 ‖ pubkey)` and signer key
 * `PRIVATE+KEY+name+hexkeyid+base64(0x01 ‖ seed)` (the golang.org/x/mod/sumdb/note encoding).
 */

/** Signature algorithm byte for Ed25519 in signed-note key ids and encodings. */
export const ALG_ED25519 = 0x01;

// DER prefixes that wrap a raw 32-byte Ed25519 seed / public key as PKCS#8 / SPKI (RFC 8410 §7, §4).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A key or note that does not follow the signed-note format. */
export class SigningFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningFormatError';
  }
}

/** A public key able to check signatures by `name`. */
export interface NoteVerifier {
  readonly name: string;
  /** First 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey), as a big-endian number. */
  readonly keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  verify(message: Buffer, signature: Buffer): boolean;
}

/** A private key that signs notes as `name`. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Buffer;
  sign(message: Buffer): Buffer;
  /** This signer's verifier key string (`name+hash+base64`). */
  readonly vkey: string;
}

/**
 * A signed-note key name: non-empty, no Unicode whitespace, no `+` (c2sp.org/signed-note §"Signatures").
 */
export function assertKeyName(name: string): void {
  if (name === '' || /[\s+]/u.test(name) || !/^[\p{L}\p{N}\p{P}\p{S}]+$/u.test(name)) {
    throw new SigningFormatError(`invalid key name ${JSON.stringify(name)}: must be non-empty, without spaces or "+"`);
  }
}

/** Key id = first 4 bytes of SHA-256(name ‖ 0x0A ‖ alg ‖ pubkey), big-endian. */
export function computeKeyId(name: string, publicKey: Buffer, alg: number = ALG_ED25519): number {
  const digest = crypto
    .createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, alg]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/** The 8-hex-digit spelling of a key id used in key strings. */
export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function publicKeyObject(publicKey: Buffer): crypto.KeyObject {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

function privateKeyObject(seed: Buffer): crypto.KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(privateKey: crypto.KeyObject): Buffer {
  const der = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return der.subarray(SPKI_ED25519_PREFIX.length);
}

/** Builds a verifier from a name and raw Ed25519 public key. */
export function verifierFromPublicKey(name: string, publicKey: Buffer): NoteVerifier {
  assertKeyName(name);
  if (publicKey.length !== 32) throw new SigningFormatError('Ed25519 public key must be 32 bytes');
  const key = publicKeyObject(publicKey);
  return Object.freeze({
    name,
    keyId: computeKeyId(name, publicKey),
    publicKey,
    verify: (message: Buffer, signature: Buffer) =>
      signature.length === 64 && crypto.verify(null, message, key, signature),
  });
}

/** Builds a signer from a name and raw 32-byte Ed25519 seed. */
export function signerFromSeed(name: string, seed: Buffer): NoteSigner {
  assertKeyName(name);
  if (seed.length !== 32) throw new SigningFormatError('Ed25519 seed must be 32 bytes');
  const key = privateKeyObject(seed);
  const publicKey = rawPublicKey(key);
  const keyId = computeKeyId(name, publicKey);
  return Object.freeze({
    name,
    keyId,
    publicKey,
    sign: (message: Buffer) => crypto.sign(null, message, key),
    vkey: encodeVerifierKey(name, publicKey),
  });
}

/** Encodes `name+hexkeyid+base64(0x01 ‖ pubkey)`. */
export function encodeVerifierKey(name: string, publicKey: Buffer): string {
  const encoded = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]).toString('base64');
  return `${name}+${keyIdHex(computeKeyId(name, publicKey))}+${encoded}`;
}

function splitKeyString(text: string, what: string): { name: string; hash: string; body: Buffer } {
  // The base64 key may itself contain '+', so only the first two '+' separate fields.
  const match = /^([^+]*)\+([^+]*)\+(.+)$/s.exec(text.trim());
  if (!match) throw new SigningFormatError(`malformed ${what}: expected name+hash+key`);
  const [, name = '', hash = '', b64 = ''] = match;
  assertKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new SigningFormatError(`malformed ${what}: key hash must be 8 hex digits`);
  const body = Buffer.from(b64, 'base64');
  if (body.toString('base64') !== b64) throw new SigningFormatError(`malformed ${what}: key is not canonical base64`);
  if (body.length !== 33 || body[0] !== ALG_ED25519) {
    throw new SigningFormatError(`unsupported ${what}: only Ed25519 (algorithm 0x01) keys are supported`);
  }
  return { name, hash, body: body.subarray(1) };
}

/** Parses a verifier key string and checks its embedded key id. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, hash, body } = splitKeyString(vkey, 'verifier key');
  const verifier = verifierFromPublicKey(name, body);
  if (keyIdHex(verifier.keyId) !== hash) throw new SigningFormatError('verifier key hash does not match the key');
  return verifier;
}

/** Parses a `PRIVATE+KEY+name+hash+base64` signer key string and checks its key id. */
export function parseSignerKey(skey: string): NoteSigner {
  const prefix = 'PRIVATE+KEY+';
  if (!skey.startsWith(prefix)) throw new SigningFormatError('malformed signer key: missing PRIVATE+KEY+ prefix');
  const { name, hash, body } = splitKeyString(skey.slice(prefix.length), 'signer key');
  const signer = signerFromSeed(name, body);
  if (keyIdHex(signer.keyId) !== hash) throw new SigningFormatError('signer key hash does not match the key');
  return signer;
}

/** Encodes a signer key string for `name` and `seed`. */
export function encodeSignerKey(name: string, seed: Buffer): string {
  const signer = signerFromSeed(name, seed);
  const encoded = Buffer.concat([Buffer.from([ALG_ED25519]), seed]).toString('base64');
  return `PRIVATE+KEY+${name}+${keyIdHex(signer.keyId)}+${encoded}`;
}

/** A fresh Ed25519 key pair as signer and verifier key strings. */
export function generateKeyStrings(name: string): { skey: string; vkey: string } {
  const seed = crypto.randomBytes(32);
  return { skey: encodeSignerKey(name, seed), vkey: signerFromSeed(name, seed).vkey };
}

/**
 * Loads the signer key stored in `file`, or creates one named `name` (mode 0600, plus a `.pub`
 * file holding the verifier key) when the file does not exist yet. An existing key with another
 * name is an error: a log's key name is its identity.
 */
export function loadOrCreateSignerKey(file: string, name: string): NoteSigner {
  if (!fs.existsSync(file)) {
    const { skey, vkey } = generateKeyStrings(name);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, `${skey}\n`, { mode: 0o600, flag: 'wx' });
      fs.writeFileSync(`${file}.pub`, `${vkey}\n`, { mode: 0o644 });
    } catch (err) {
      // Another process created it first; fall through and read theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const signer = parseSignerKey(fs.readFileSync(file, 'utf8'));
  if (signer.name !== name) {
    throw new SigningFormatError(`key in ${file} is named ${JSON.stringify(signer.name)}, expected ${JSON.stringify(name)}`);
  }
  return signer;
}
