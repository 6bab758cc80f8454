import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NoteVerificationError,
  SigningFormatError,
  addSignatures,
  generateKeyStrings,
  keyIdHex,
  loadOrCreateSignerKey,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from '../../../control-plane/src/signing/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

// The published example of the signed-note format (golang.org/x/mod/sumdb/note documentation,
// reused by c2sp.org/signed-note implementations): keys, text and the exact signed note.
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const NOTE =
  `${TEXT}\n` +
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

describe('signed-note keys', () => {
  it('computes the published key id from name and public key', () => {
    const verifier = parseVerifierKey(VKEY);
    expect(verifier.name).toBe('PeterNeumann');
    expect(keyIdHex(verifier.keyId)).toBe('c74f20a3');
    expect(parseSignerKey(SKEY).vkey).toBe(VKEY);
  });

  it('rejects a verifier key whose hash does not match its key', () => {
    expect(() => parseVerifierKey(VKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(SigningFormatError);
    expect(() => parseVerifierKey('Peter+Neumann+c74f20a3+AAAA')).toThrow(SigningFormatError);
  });
});

describe('signed notes', () => {
  it('signs the published example byte for byte', () => {
    expect(signNote(TEXT, [parseSignerKey(SKEY)])).toBe(NOTE);
  });

  it('verifies the published example', () => {
    const opened = openNote(NOTE, [parseVerifierKey(VKEY)]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
  });

  it('rejects changed text and signatures by a different key under the same name', () => {
    const verifier = parseVerifierKey(VKEY);
    const changed = NOTE.replace('problem is', 'problem was');
    expect(() => openNote(changed, [verifier])).toThrowError(
      expect.objectContaining({ reason: 'invalid_signature' }) as Error,
    );
    const other = parseSignerKey(generateKeyStrings('PeterNeumann').skey);
    // A forger's key has another key id, so the trusted verifier never matches it.
    expect(() => openNote(signNote(TEXT, [other]), [verifier])).toThrowError(
      expect.objectContaining({ reason: 'no_known_signature' }) as Error,
    );
  });

  it('splits at the last blank line, so text may contain blank lines', () => {
    const signer = parseSignerKey(generateKeyStrings('log.example/a').skey);
    const text = 'origin\n\nsecond paragraph\n';
    const opened = openNote(signNote(text, [signer]), [parseVerifierKey(signer.vkey)]);
    expect(opened.text).toBe(text);
  });

  it('keeps the first signature when a witness co-signs, and both verify', () => {
    const log = parseSignerKey(generateKeyStrings('log.example/a').skey);
    const witness = parseSignerKey(generateKeyStrings('witness.example').skey);
    const cosigned = addSignatures(signNote(TEXT, [log]), [witness]);
    const opened = openNote(cosigned, [parseVerifierKey(log.vkey), parseVerifierKey(witness.vkey)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['log.example/a', 'witness.example']);
    expect(openNote(cosigned, [parseVerifierKey(log.vkey)]).unverified.map((s) => s.name)).toEqual(['witness.example']);
  });

  it('refuses malformed notes', () => {
    const verifier = parseVerifierKey(VKEY);
    for (const bad of [TEXT, NOTE.slice(0, -1), `${TEXT}\n\u2014 PeterNeumann not*base64\n`, `${TEXT}\n- PeterNeumann AAAA\n`]) {
      expect(() => openNote(bad, [verifier])).toThrow(NoteVerificationError);
    }
    expect(() => signNote('no trailing newline', [parseSignerKey(SKEY)])).toThrow(SigningFormatError);
  });
});

describe('key files', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  it('creates a key once with owner-only permissions and loads the same key afterwards', () => {
    const tmp = makeTempDir();
    cleanup = tmp.cleanup;
    const file = path.join(tmp.dir, 'keys', 'audit.key');
    const first = loadOrCreateSignerKey(file, 'embguard.local/audit');
    const second = loadOrCreateSignerKey(file, 'embguard.local/audit');
    expect(second.vkey).toBe(first.vkey);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${file}.pub`, 'utf8').trim()).toBe(first.vkey);
    expect(() => loadOrCreateSignerKey(file, 'other.name')).toThrow(SigningFormatError);
  });
});
