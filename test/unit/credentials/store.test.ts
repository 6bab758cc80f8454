import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  credentialFingerprint,
  CredentialResolutionError,
  fingerprintKeyFile,
  loadFingerprintKey,
  rotationAuditEvent,
  UpstreamCredentials,
  type CredentialRotation,
} from '../../../control-plane/src/credentials/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const CANARY = 'sk-canary-7f3a9c1e5b2d4f60';
const NEXT = 'sk-canary-rotated-0b8e6d4c2a19';
const FINGERPRINT_KEY = Buffer.alloc(32, 7);

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function tempDir(): string {
  const { dir, cleanup } = makeTempDir('embguard-creds-');
  cleanups.push(cleanup);
  return dir;
}

/** Writes like a secret manager should: a temp file renamed over the old one (atomic). */
function writeAtomically(file: string, value: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${value}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function store(env: Record<string, string>, baseDir: string, rotations: CredentialRotation[] = []) {
  const credentials = new UpstreamCredentials({
    sources: { env, baseDir },
    fingerprintKey: FINGERPRINT_KEY,
    logger: silentLogger(),
    onRotated: (rotation) => rotations.push(rotation),
  });
  return credentials;
}

describe('UpstreamCredentials', () => {
  it('resolves env: and file: references into formatted headers, shown only by fingerprint', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'azure.key'), `${NEXT}\n`);
    const credentials = store({ OPENAI_KEY: CANARY }, dir);
    credentials.configure([
      { upstream: 'openai', ref: 'env:OPENAI_KEY', header: 'authorization', format: 'Bearer {value}' },
      { upstream: 'azure', ref: 'file:azure.key', header: 'api-key', format: '{value}' },
    ]);
    expect(credentials.header('openai')).toEqual({ name: 'authorization', value: `Bearer ${CANARY}` });
    expect(credentials.header('azure')).toEqual({ name: 'api-key', value: NEXT });
    expect(credentials.header('other')).toBeUndefined();
    const listed = credentials.list();
    expect(listed.map((c) => c.fingerprint)).toEqual([credentialFingerprint(FINGERPRINT_KEY, CANARY), credentialFingerprint(FINGERPRINT_KEY, NEXT)]);
    expect(listed[0]?.fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(listed)).not.toContain('canary');
  });

  it('refuses a snapshot whose references cannot be resolved, naming each, and keeps what was in force', () => {
    const dir = tempDir();
    const credentials = store({ OPENAI_KEY: CANARY }, dir);
    credentials.configure([{ upstream: 'openai', ref: 'env:OPENAI_KEY', header: 'authorization', format: 'Bearer {value}' }]);
    let error: unknown;
    try {
      credentials.configure([
        { upstream: 'openai', ref: 'env:MISSING_KEY', header: 'authorization', format: 'Bearer {value}' },
        { upstream: 'azure', ref: 'file:nowhere.key', header: 'api-key', format: '{value}' },
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CredentialResolutionError);
    expect((error as CredentialResolutionError).refs).toEqual(['env:MISSING_KEY', 'file:nowhere.key']);
    expect((error as Error).message).toContain('env:MISSING_KEY: the environment variable is not set');
    expect((error as Error).message).toContain('file:nowhere.key: cannot read the file (ENOENT)');
    expect(credentials.header('openai')?.value).toBe(`Bearer ${CANARY}`);
  });

  it('refuses a value that would inject a header line, without echoing it', () => {
    const credentials = store({ BAD: `${CANARY}\r\nx-evil: 1` }, tempDir());
    expect(() => credentials.configure([{ upstream: 'u', ref: 'env:BAD', header: 'authorization', format: 'Bearer {value}' }])).toThrow(
      /env:BAD: holds a line break or NUL/,
    );
    try {
      credentials.configure([{ upstream: 'u', ref: 'env:BAD', header: 'authorization', format: 'Bearer {value}' }]);
    } catch (err) {
      expect((err as Error).message).not.toContain(CANARY);
    }
  });

  it('reload picks up a changed file, reports the rotation by fingerprint, and keeps the last good value when the file is unreadable', () => {
    const dir = tempDir();
    const file = path.join(dir, 'key');
    writeAtomically(file, CANARY);
    const rotations: CredentialRotation[] = [];
    const credentials = store({}, dir, rotations);
    credentials.configure([{ upstream: 'openai', ref: `file:${file}`, header: 'authorization', format: 'Bearer {value}' }]);
    expect(credentials.reload().rotated).toEqual([]);

    writeAtomically(file, NEXT);
    const result = credentials.reload();
    expect(result.rotated).toEqual([
      {
        upstream: 'openai',
        ref: `file:${file}`,
        header: 'authorization',
        fingerprint: credentialFingerprint(FINGERPRINT_KEY, NEXT),
        previousFingerprint: credentialFingerprint(FINGERPRINT_KEY, CANARY),
      },
    ]);
    expect(rotations).toEqual(result.rotated);
    expect(credentials.header('openai')?.value).toBe(`Bearer ${NEXT}`);

    fs.writeFileSync(file, '');
    const failed = credentials.reload();
    expect(failed.failed).toEqual([{ upstream: 'openai', ref: `file:${file}`, reason: `secret file:${file}: is empty` }]);
    expect(credentials.header('openai')?.value).toBe(`Bearer ${NEXT}`);
  });

  it('watch() applies an atomic replace of the file without being asked', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'key');
    writeAtomically(file, CANARY);
    const rotations: CredentialRotation[] = [];
    const credentials = store({}, dir, rotations);
    credentials.configure([{ upstream: 'openai', ref: `file:${file}`, header: 'authorization', format: 'Bearer {value}' }]);
    const stop = credentials.watch();
    writeAtomically(file, NEXT);
    await vi.waitFor(() => expect(credentials.header('openai')?.value).toBe(`Bearer ${NEXT}`), { timeout: 5000, interval: 20 });
    expect(rotations).toHaveLength(1);
    stop();
    writeAtomically(file, CANARY);
    expect(credentials.reload().rotated).toHaveLength(1);
  });

  it('a new snapshot that changes a credential is a rotation too', () => {
    const rotations: CredentialRotation[] = [];
    const credentials = store({ A: CANARY, B: NEXT }, tempDir(), rotations);
    credentials.configure([{ upstream: 'openai', ref: 'env:A', header: 'authorization', format: 'Bearer {value}' }]);
    credentials.configure([{ upstream: 'openai', ref: 'env:B', header: 'authorization', format: 'Bearer {value}' }]);
    expect(rotations.map((r) => r.ref)).toEqual(['env:B']);
  });

  it('the audit event carries name, reference and fingerprints, never the value', () => {
    const event = rotationAuditEvent({ upstream: 'openai', ref: 'env:A', header: 'authorization', fingerprint: 'hmac-sha256:aa', previousFingerprint: 'hmac-sha256:bb' });
    expect(event).toEqual({
      type: 'credential.rotated',
      actor: { subject: 'embguard' },
      credential: { name: 'openai', ref: 'env:A', fingerprint: 'hmac-sha256:aa', previousFingerprint: 'hmac-sha256:bb' },
    });
  });
});

describe('fingerprint key', () => {
  it('is created once with mode 0600 and reused; fingerprints depend on it', () => {
    const file = fingerprintKeyFile(tempDir());
    const key = loadFingerprintKey(file);
    expect(key).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadFingerprintKey(file)).toEqual(key);
    expect(credentialFingerprint(key, CANARY)).not.toBe(credentialFingerprint(Buffer.alloc(32, 1), CANARY));
    expect(credentialFingerprint(key, CANARY)).toBe(credentialFingerprint(key, CANARY));
    fs.writeFileSync(file, 'not hex\n');
    expect(() => loadFingerprintKey(file)).toThrow(/is not a 32-byte hex key/);
  });
});
