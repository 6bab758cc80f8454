import type { NoteSigner, NoteVerifier } from './keys.ts';
import { SigningFormatError, assertKeyName } from './keys.ts';

/**
 * C2SP signed notes (https://c2sp.org/signed-note): UTF-8 text ending in a newline, a blank line,
 * then one `— <name> <base64(keyid ‖ signature)>` line per signature. Notes are split at the LAST
 * blank line, so the text itself may contain blank lines.
 */

const SIGNATURE_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100;

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The base64 of key id ‖ signature, exactly as written in the note. */
  readonly base64: string;
}

/** A note whose text carries at least one valid signature by a known key. */
export interface VerifiedNote {
  readonly text: string;
  /** Signatures by keys in the verifier list that were checked and are valid. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by keys we do not know (ignored, as the spec requires). */
  readonly unverified: readonly NoteSignature[];
}

/** A note that failed verification; `reason` names what was wrong. */
export class NoteVerificationError extends Error {
  readonly reason: 'malformed' | 'no_known_signature' | 'invalid_signature';
  constructor(reason: NoteVerificationError['reason'], message: string) {
    super(message);
    this.name = 'NoteVerificationError';
    this.reason = reason;
  }
}

function assertNoteText(text: string): void {
  if (!text.endsWith('\n')) throw new SigningFormatError('note text must end with a newline');
  // Control characters other than newline are forbidden in note text (signed-note §"Note text").
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) {
    throw new SigningFormatError('note text must not contain control characters other than newline');
  }
}

function signatureLine(signer: NoteSigner, text: string): string {
  const keyId = Buffer.alloc(4);
  keyId.writeUInt32BE(signer.keyId, 0);
  const signature = signer.sign(Buffer.from(text, 'utf8'));
  return `${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
}

/** Signs `text` with every signer, in order, and returns the note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  assertNoteText(text);
  if (signers.length === 0) throw new SigningFormatError('a note needs at least one signer');
  return `${text}\n${signers.map((s) => signatureLine(s, text)).join('')}`;
}

/**
 * Adds signatures (for example a witness co-signature) to an existing note, keeping the existing
 * ones. The caller should have verified the note first.
 */
export function addSignatures(note: string, signers: readonly NoteSigner[]): string {
  const { text, signatures } = parseNote(note);
  const existing = signatures.map((s) => `${SIGNATURE_PREFIX}${s.name} ${s.base64}\n`).join('');
  return `${text}\n${existing}${signers.map((s) => signatureLine(s, text)).join('')}`;
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new SigningFormatError('signature line must start with "— "');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.lastIndexOf(' ');
  if (space <= 0) throw new SigningFormatError('signature line must be "— <name> <base64>"');
  const name = rest.slice(0, space);
  const base64 = rest.slice(space + 1);
  assertKeyName(name);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 5 || bytes.toString('base64') !== base64) {
    throw new SigningFormatError('signature is not canonical base64 of key id and signature');
  }
  return { name, keyId: bytes.readUInt32BE(0), base64 };
}

/** Splits a note into text and signature lines (no cryptographic checks). */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new SigningFormatError('note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  assertNoteText(text);
  if (!block.endsWith('\n')) throw new SigningFormatError('signature block must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new SigningFormatError(`note has more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

/**
 * Verifies a note against a list of known keys. Signatures by unknown keys are ignored; a signature
 * by a known key (same name and key id) that does not verify is an error; at least one known key
 * must have signed.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): VerifiedNote {
  let parsed: { text: string; signatures: NoteSignature[] };
  try {
    parsed = parseNote(note);
  } catch (err) {
    throw new NoteVerificationError('malformed', `malformed note: ${(err as Error).message}`);
  }
  const message = Buffer.from(parsed.text, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (!verifier) {
      unverified.push(sig);
      continue;
    }
    if (!verifier.verify(message, Buffer.from(sig.base64, 'base64').subarray(4))) {
      throw new NoteVerificationError('invalid_signature', `invalid signature by ${sig.name}`);
    }
    if (!verified.some((v) => v.name === sig.name && v.keyId === sig.keyId)) verified.push(sig);
  }
  if (verified.length === 0) {
    throw new NoteVerificationError('no_known_signature', 'note has no signature by a known key');
  }
  return { text: parsed.text, verified, unverified };
}
