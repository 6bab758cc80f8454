import fs from 'node:fs';
import path from 'node:path';
import type { NoteSigner, NoteVerifier } from '../signing/index.ts';
import { keyIdHex, openNote, signNote } from '../signing/index.ts';

/**
 * C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint): origin line, decimal tree size,
 * base64 root hash, then extension lines. We add one extension line, `time <RFC 3339 UTC>`, so a
 * heartbeat at an unchanged size is still a distinct signed statement of liveness.
 */

/** The parsed content of a checkpoint body. */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Signing time from the `time` extension line, when present. */
  timeMs: number | undefined;
}

/** A checkpoint body that does not follow the format. */
export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}

/** Formats a checkpoint body (the text a signed note signs). */
export function formatCheckpoint(cp: Checkpoint): string {
  const lines = [cp.origin, String(cp.size), cp.rootHash.toString('base64')];
  if (cp.timeMs !== undefined) lines.push(`time ${new Date(cp.timeMs).toISOString()}`);
  return `${lines.join('\n')}\n`;
}

/** Parses a checkpoint body. */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new CheckpointFormatError('checkpoint must have at least 3 lines ending in newline');
  const [origin = '', sizeText = '', rootText = ''] = lines;
  if (origin === '') throw new CheckpointFormatError('checkpoint origin line is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new CheckpointFormatError('checkpoint size is not a decimal number');
  const rootHash = Buffer.from(rootText, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText) {
    throw new CheckpointFormatError('checkpoint root hash is not base64 of 32 bytes');
  }
  const timeLine = lines.slice(3, -1).find((l) => l.startsWith('time '));
  const timeMs = timeLine === undefined ? undefined : Date.parse(timeLine.slice(5));
  return { origin, size: Number(sizeText), rootHash, timeMs: Number.isNaN(timeMs) ? undefined : timeMs };
}

/** Signs a checkpoint as a C2SP signed note with the log key and any witness keys. */
export function signCheckpoint(cp: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

/**
 * Opens a signed checkpoint: verifies the note with the trusted keys and that its origin is the
 * expected one. Throws `NoteVerificationError` or `CheckpointFormatError`.
 */
export function openCheckpoint(note: string, verifiers: readonly NoteVerifier[], origin: string): Checkpoint {
  const cp = parseCheckpoint(openNote(note, verifiers).text);
  if (cp.origin !== origin) throw new CheckpointFormatError(`checkpoint origin ${JSON.stringify(cp.origin)} is not ${JSON.stringify(origin)}`);
  return cp;
}

/** Short hex key id of a signer, as recorded in `log.checkpoint` events. */
export function signerKeyId(signer: NoteSigner): string {
  return keyIdHex(signer.keyId);
}

/**
 * Writes a signed checkpoint to an export directory meant for WORM storage: one new read-only file
 * per checkpoint, created exclusively (never overwritten) and fsynced with its directory.
 */
export function exportCheckpoint(dir: string, seq: number, note: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `checkpoint-${String(seq).padStart(12, '0')}.note`);
  const fd = fs.openSync(file, 'wx', 0o444);
  try {
    fs.writeSync(fd, note);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
  return file;
}

/** Reads every exported checkpoint note from an export directory, in file-name order. */
export function readExportedCheckpoints(dir: string): { file: string; note: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.note'))
    .sort()
    .map((f) => ({ file: f, note: fs.readFileSync(path.join(dir, f), 'utf8') }));
}
