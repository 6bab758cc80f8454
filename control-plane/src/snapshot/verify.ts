import { COMPILED_POLICY_SCHEMA } from '../policy/index.ts';
import { NoteVerificationError, openNote, type NoteVerifier } from '../signing/index.ts';
import { canonicalJson, canonicalSha256 } from './canonical.ts';
import {
  SNAPSHOT_API_VERSION,
  SnapshotRejectedError,
  parseSnapshotFileName,
  snapshotVersion,
  type SnapshotManifest,
} from './types.ts';

/** A snapshot whose signature, hash and name all check out. */
export interface VerifiedSnapshot {
  readonly file: string;
  readonly manifest: SnapshotManifest;
  /** `<seq>-<hash12>`. */
  readonly version: string;
  /** Names of the pinned keys whose signatures verified. */
  readonly signedBy: readonly string[];
}

export interface OpenSnapshotOptions {
  /** Pinned public keys; a snapshot must carry a valid signature by at least one. */
  trustedKeys: readonly NoteVerifier[];
  /** Development only: accept snapshots built with `--dev-unapproved`. */
  allowUnapproved?: boolean;
  /** Refuse snapshots whose seq is not above this (the seq in force): replays and rollbacks. */
  aboveSeq?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(file: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SnapshotRejectedError(file, 'malformed', 'not UTF-8 text');
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function verifyNote(file: string, text: string, trustedKeys: readonly NoteVerifier[]): { body: string; signedBy: string[] } {
  try {
    const note = openNote(text, trustedKeys);
    return { body: note.text, signedBy: note.verified.map((s) => s.name) };
  } catch (err) {
    if (!(err instanceof NoteVerificationError)) throw err;
    if (err.reason === 'invalid_signature') throw new SnapshotRejectedError(file, 'bad_signature', err.message);
    if (err.reason === 'no_known_signature') throw new SnapshotRejectedError(file, 'untrusted_signer', 'no signature by a pinned key');
    // A bare JSON manifest without a signature block is unsigned; anything else (a truncated
    // file, a cut signature line) is malformed.
    throw new SnapshotRejectedError(file, isJson(text.trimEnd()) ? 'unsigned' : 'malformed', err.message);
  }
}

function parseManifest(file: string, body: string): SnapshotManifest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new SnapshotRejectedError(file, 'malformed', 'signed text is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SnapshotRejectedError(file, 'malformed', 'signed text is not a JSON object');
  }
  const manifest = value as Partial<SnapshotManifest>;
  if (manifest.apiVersion !== SNAPSHOT_API_VERSION) {
    throw new SnapshotRejectedError(file, 'unknown_api_version', `apiVersion ${JSON.stringify(manifest.apiVersion ?? null)} is not ${SNAPSHOT_API_VERSION}`);
  }
  if (manifest.content?.compiled?.schema !== COMPILED_POLICY_SCHEMA) {
    throw new SnapshotRejectedError(file, 'unknown_api_version', `compiled policy schema is not ${COMPILED_POLICY_SCHEMA}`);
  }
  if (!Number.isSafeInteger(manifest.seq) || (manifest.seq ?? 0) < 1 || typeof manifest.sha256 !== 'string') {
    throw new SnapshotRejectedError(file, 'malformed', 'seq or sha256 missing');
  }
  // The signature covers the exact bytes; requiring them to be canonical leaves one spelling per snapshot.
  if (`${canonicalJson(value)}\n` !== body) throw new SnapshotRejectedError(file, 'malformed', 'signed text is not canonical JSON (RFC 8785)');
  return value as SnapshotManifest;
}

/**
 * Verifies one snapshot file: UTF-8, a C2SP signed note with a valid signature by a pinned key,
 * canonical JSON of a known apiVersion, content hash, file name matching seq and hash, and
 * approval (unless `allowUnapproved`). Throws `SnapshotRejectedError` naming the file.
 */
export function openSnapshot(file: string, bytes: Uint8Array, options: OpenSnapshotOptions): VerifiedSnapshot {
  const { body, signedBy } = verifyNote(file, decode(file, bytes), options.trustedKeys);
  const manifest = parseManifest(file, body);
  const actual = canonicalSha256(manifest.content);
  if (actual !== manifest.sha256) throw new SnapshotRejectedError(file, 'hash_mismatch', `content hashes to ${actual.slice(0, 12)}, manifest says ${manifest.sha256.slice(0, 12)}`);
  if (options.aboveSeq !== undefined && manifest.seq <= options.aboveSeq) {
    throw new SnapshotRejectedError(file, 'replay', `seq ${manifest.seq} is not above the seq in force (${options.aboveSeq})`);
  }
  const named = parseSnapshotFileName(file.split('/').pop() ?? file);
  if (named && (named.seq !== manifest.seq || named.hash12 !== manifest.sha256.slice(0, 12))) {
    throw new SnapshotRejectedError(file, 'name_mismatch', `file name says ${named.seq}-${named.hash12}, content is ${snapshotVersion(manifest.seq, manifest.sha256)}`);
  }
  if (!manifest.approved && !options.allowUnapproved) {
    throw new SnapshotRejectedError(file, 'unapproved', 'built with --dev-unapproved; only development mode accepts it');
  }
  return { file, manifest, version: snapshotVersion(manifest.seq, manifest.sha256), signedBy };
}

/** Reads a manifest without checking signatures: for listing and diffing a store, never for enforcing. */
export function readManifestUnverified(file: string, bytes: Uint8Array): SnapshotManifest {
  const text = decode(file, bytes);
  const split = text.lastIndexOf('\n\n');
  return parseManifest(file, split < 0 ? text : text.slice(0, split + 1));
}
