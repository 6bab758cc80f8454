import fs from 'node:fs';
import path from 'node:path';

/**
 * A secret named by reference, never by value: `env:NAME` (an environment variable) or
 * `file:PATH` (read each time it is resolved, never copied). Policy and snapshots carry only the
 * reference.
 */
export type SecretRef = `env:${string}` | `file:${string}`;

/** A reference that cannot be resolved. The message names the reference, never a value. */
export class SecretRefError extends Error {
  readonly ref: string;
  constructor(ref: string, reason: string) {
    super(`secret ${ref}: ${reason}`);
    this.name = 'SecretRefError';
    this.ref = ref;
  }
}

export interface SecretSources {
  /** Environment variables, as read once by the config module. */
  env: Readonly<Record<string, string | undefined>>;
  /** Base for relative `file:` paths. */
  baseDir: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `ref` has the shape of a secret reference. */
export function isSecretRef(ref: string): ref is SecretRef {
  return (ref.startsWith('env:') && ENV_NAME.test(ref.slice(4))) || (ref.startsWith('file:') && ref.length > 5);
}

/** The path a `file:` reference points at, resolved against `baseDir`; undefined for `env:`. */
export function secretFilePath(ref: SecretRef, baseDir: string): string | undefined {
  return ref.startsWith('file:') ? path.resolve(baseDir, ref.slice(5)) : undefined;
}

/** Reads a secret's current value (trailing newline removed). Throws `SecretRefError`. */
export function resolveSecret(ref: string, sources: SecretSources): string {
  if (!isSecretRef(ref)) throw new SecretRefError(ref, 'is not env:NAME or file:PATH');
  let value: string | undefined;
  if (ref.startsWith('env:')) {
    value = sources.env[ref.slice(4)];
    if (value === undefined) throw new SecretRefError(ref, 'the environment variable is not set');
  } else {
    const file = secretFilePath(ref, sources.baseDir) as string;
    try {
      value = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new SecretRefError(ref, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const trimmed = value.replace(/\r?\n$/, '');
  if (trimmed.length === 0) throw new SecretRefError(ref, 'is empty');
  return trimmed;
}
