import fs from 'node:fs';
import path from 'node:path';
import type { AuditEventInput } from '../audit/index.ts';
import type { Logger } from '../log/index.ts';
import { isSecretRef, resolveSecret, SecretRefError, secretFilePath, type SecretSources } from '../secrets/index.ts';
import { credentialFingerprint } from './fingerprint.ts';

/** Where one upstream's credential lives and how it is sent: from the policy, never a value. */
export interface UpstreamCredentialRef {
  readonly upstream: string;
  /** `env:NAME` or `file:PATH`. */
  readonly ref: string;
  /** Request header that carries it, e.g. `authorization` or `api-key`. */
  readonly header: string;
  /** Header value template, `{value}` replaced by the secret, e.g. `Bearer {value}`. */
  readonly format: string;
}

/** The header the processor adds on the way upstream. Holds the secret: never log or serialise it. */
export interface CredentialHeader {
  readonly name: string;
  readonly value: string;
}

/** What may be shown about a credential: where it comes from and its keyed fingerprint. */
export interface CredentialState {
  readonly upstream: string;
  readonly ref: string;
  readonly header: string;
  readonly fingerprint: string;
}

/** One credential whose value changed. */
export interface CredentialRotation extends CredentialState {
  readonly previousFingerprint: string;
}

/** A reference that could not be read on reload; the last good value stays in use. */
export interface CredentialReloadFailure {
  readonly upstream: string;
  readonly ref: string;
  readonly reason: string;
}

export interface CredentialReloadResult {
  readonly rotated: readonly CredentialRotation[];
  readonly failed: readonly CredentialReloadFailure[];
  readonly credentials: readonly CredentialState[];
}

/** Some references of a snapshot cannot be resolved; the message names each reference, never a value. */
export class CredentialResolutionError extends Error {
  readonly refs: readonly string[];
  constructor(errors: readonly SecretRefError[]) {
    super(`cannot resolve upstream credential ${errors.map((e) => e.message).join('; ')}`);
    this.name = 'CredentialResolutionError';
    this.refs = errors.map((e) => e.ref);
  }
}

export interface UpstreamCredentialsOptions {
  sources: SecretSources;
  /** HMAC key of the fingerprints (`loadFingerprintKey`). */
  fingerprintKey: Buffer;
  logger: Logger;
  /** Called for every credential whose value changed (reload, file change, new snapshot). */
  onRotated?: (rotation: CredentialRotation) => void;
}

interface Entry {
  readonly spec: UpstreamCredentialRef;
  readonly header: CredentialHeader;
  readonly fingerprint: string;
}

/** RFC 9110 §5.5: a field value never holds CR, LF or NUL (header injection). */
const FORBIDDEN_IN_HEADER = /[\r\n\0]/;

/** The `credential.rotated` audit event for a rotation: names and fingerprints only. */
export function rotationAuditEvent(rotation: CredentialRotation): AuditEventInput {
  return {
    type: 'credential.rotated',
    actor: { subject: 'embguard' },
    credential: { name: rotation.upstream, ref: rotation.ref, fingerprint: rotation.fingerprint, previousFingerprint: rotation.previousFingerprint },
  };
}

/**
 * The upstream credentials of the snapshot in force, resolved from their references in this
 * process only (never written anywhere, never sent to Envoy's configuration). `file:` references
 * are re-read on `reload()` and, once `watch()` was called, whenever their directory changes; a
 * reference that cannot be read on reload keeps the last good value (a half-written file must not
 * take the gateway down).
 */
export class UpstreamCredentials {
  readonly #options: UpstreamCredentialsOptions;
  #entries: ReadonlyMap<string, Entry> = new Map();
  #watching = false;
  #watchers: fs.FSWatcher[] = [];

  constructor(options: UpstreamCredentialsOptions) {
    this.#options = options;
  }

  /**
   * Resolves every reference of a snapshot's upstreams, all or nothing: on a
   * `CredentialResolutionError` the credentials in force stay unchanged.
   */
  configure(refs: readonly UpstreamCredentialRef[]): void {
    const next = new Map<string, Entry>();
    const errors: SecretRefError[] = [];
    for (const spec of refs) {
      try {
        next.set(spec.upstream, this.#resolve(spec));
      } catch (err) {
        if (!(err instanceof SecretRefError)) throw err;
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new CredentialResolutionError(errors);
    const previous = this.#entries;
    this.#entries = next;
    for (const entry of next.values()) this.#reportIfRotated(previous.get(entry.spec.upstream), entry);
    if (this.#watching) this.#rewatch();
  }

  /** The header to add for `upstream`, or undefined when the policy names no credential for it. */
  header(upstream: string): CredentialHeader | undefined {
    return this.#entries.get(upstream)?.header;
  }

  /** Every credential in force, without values. */
  list(): CredentialState[] {
    return [...this.#entries.values()].map(stateOf);
  }

  /** Re-reads every reference; changed values take effect for the next request. */
  reload(): CredentialReloadResult {
    const rotated: CredentialRotation[] = [];
    const failed: CredentialReloadFailure[] = [];
    const next = new Map(this.#entries);
    for (const [upstream, entry] of this.#entries) {
      try {
        const fresh = this.#resolve(entry.spec);
        next.set(upstream, fresh);
        if (fresh.fingerprint !== entry.fingerprint) rotated.push({ ...stateOf(fresh), previousFingerprint: entry.fingerprint });
      } catch (err) {
        if (!(err instanceof SecretRefError)) throw err;
        failed.push({ upstream, ref: entry.spec.ref, reason: err.message });
        this.#options.logger.warn({ upstream, ref: entry.spec.ref, reason: err.message }, 'credential reload failed; keeping the last good value');
      }
    }
    this.#entries = next;
    for (const rotation of rotated) this.#announce(rotation);
    return { rotated, failed, credentials: this.list() };
  }

  /** Reloads whenever a directory holding a `file:` reference changes; returns a function that stops it. */
  watch(): () => void {
    this.#watching = true;
    this.#rewatch();
    return () => {
      this.#watching = false;
      this.#unwatch();
    };
  }

  #resolve(spec: UpstreamCredentialRef): Entry {
    const value = resolveSecret(spec.ref, this.#options.sources);
    const headerValue = spec.format.replaceAll('{value}', value);
    if (FORBIDDEN_IN_HEADER.test(headerValue)) throw new SecretRefError(spec.ref, 'holds a line break or NUL, which no header value may carry');
    return {
      spec,
      header: Object.freeze({ name: spec.header.toLowerCase(), value: headerValue }),
      fingerprint: credentialFingerprint(this.#options.fingerprintKey, value),
    };
  }

  #reportIfRotated(before: Entry | undefined, after: Entry): void {
    if (before && before.fingerprint !== after.fingerprint) this.#announce({ ...stateOf(after), previousFingerprint: before.fingerprint });
  }

  #announce(rotation: CredentialRotation): void {
    this.#options.logger.info({ upstream: rotation.upstream, ref: rotation.ref, fingerprint: rotation.fingerprint }, 'upstream credential rotated');
    this.#options.onRotated?.(rotation);
  }

  /**
   * Watches directories, not files: an atomic replace (write a temp file, rename it over the old
   * one, as Kubernetes secret volumes do with a symlink swap) gives the path a new inode, which a
   * watch on the old file would never report.
   */
  #rewatch(): void {
    this.#unwatch();
    const dirs = new Set<string>();
    for (const { spec } of this.#entries.values()) {
      const file = isSecretRef(spec.ref) ? secretFilePath(spec.ref, this.#options.sources.baseDir) : undefined;
      if (file) dirs.add(path.dirname(file));
    }
    for (const dir of dirs) {
      try {
        const watcher = fs.watch(dir, { persistent: false }, () => this.reload());
        watcher.on('error', (err) => this.#options.logger.warn({ err, dir }, 'credential directory watch failed'));
        this.#watchers.push(watcher);
      } catch (err) {
        this.#options.logger.warn({ err, dir }, 'cannot watch a credential directory; use `embguard creds reload`');
      }
    }
  }

  #unwatch(): void {
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }
}

function stateOf(entry: Entry): CredentialState {
  return { upstream: entry.spec.upstream, ref: entry.spec.ref, header: entry.spec.header, fingerprint: entry.fingerprint };
}
