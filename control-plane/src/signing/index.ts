/**
 * Ed25519 signatures in the C2SP signed-note format (https://c2sp.org/signed-note), shared by the
 * audit log's checkpoints and policy snapshot signatures.
 *
 * Typical use: `const signer = loadOrCreateSignerKey(file, name)`, `const note = signNote(text, [signer])`,
 * and on the verifying side `openNote(note, [parseVerifierKey(vkey)])`.
 */
export {
  ALG_ED25519,
  SigningFormatError,
  computeKeyId,
  encodeSignerKey,
  encodeVerifierKey,
  generateKeyStrings,
  keyIdHex,
  loadOrCreateSignerKey,
  parseSignerKey,
  parseVerifierKey,
  signerFromSeed,
  verifierFromPublicKey,
  type NoteSigner,
  type NoteVerifier,
} from './keys.ts';
export {
  NoteVerificationError,
  addSignatures,
  openNote,
  parseNote,
  signNote,
  type NoteSignature,
  type VerifiedNote,
} from './note.ts';
