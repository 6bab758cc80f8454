import path from 'node:path';
import { fileSink, httpSink, startSinkForwarder, type AuditLog, type AuditSink } from '../audit/index.ts';
import type { Logger } from '../log/index.ts';
import type { CompiledRetention } from '../policy/index.ts';
import { resolveSecret, type SecretSources } from '../secrets/index.ts';

/** Masked excerpts are kept this long when no RetentionPolicy says otherwise. */
const DEFAULT_EXCERPT_RETENTION_MS = 30 * 24 * 3600_000;
const FORWARD_INTERVAL_MS = 5_000;

type Forwarding = CompiledRetention['forwarding'][number];

/**
 * Enforces the RetentionPolicy in force: how long masked excerpts are kept (their deletion is an
 * audited `retention.deleted` event; the Merkle leaves themselves are never deleted) and the
 * at-least-once forwarding of every entry to long-term storage. Relative file targets are under
 * `home`.
 */
export class RetentionEnforcer {
  readonly #audit: AuditLog;
  readonly #secrets: SecretSources;
  readonly #home: string;
  readonly #logger: Logger;
  readonly #forwardIntervalMs: number;
  #forwarders: { stop: () => Promise<void> }[] = [];
  #forwarding = '[]';

  constructor(options: { audit: AuditLog; secrets: SecretSources; home: string; logger: Logger; forwardIntervalMs?: number }) {
    this.#forwardIntervalMs = options.forwardIntervalMs ?? FORWARD_INTERVAL_MS;
    this.#audit = options.audit;
    this.#secrets = options.secrets;
    this.#home = options.home;
    this.#logger = options.logger.child({ component: 'retention' });
  }

  /** Applies a snapshot's retention; forwarders are restarted only when their targets changed. */
  apply(retention: CompiledRetention | null): void {
    this.#audit.setExcerptRetention(retention?.keepMaskedContentForMs ?? DEFAULT_EXCERPT_RETENTION_MS);
    const wanted = retention?.forwarding ?? [];
    if (JSON.stringify(wanted) === this.#forwarding) return;
    this.#forwarding = JSON.stringify(wanted);
    void this.stop();
    this.#forwarders = wanted.map((forwarding) =>
      startSinkForwarder(this.#audit.store, this.#sink(forwarding), { intervalMs: this.#forwardIntervalMs, logger: this.#logger }),
    );
    this.#logger.info({ sinks: wanted.map((f) => f.name) }, 'audit forwarding configured');
  }

  async stop(): Promise<void> {
    const running = this.#forwarders.splice(0);
    await Promise.all(running.map((forwarder) => forwarder.stop()));
  }

  #sink(forwarding: Forwarding): AuditSink {
    // The cursor is keyed by the sink's name, so a renamed target starts from the beginning.
    const name = `${forwarding.name}:${forwarding.type}:${forwarding.target}`;
    if (forwarding.type === 'file') return fileSink(path.resolve(this.#home, forwarding.target), name);
    const credential = forwarding.credential;
    const headers = credential
      ? { [credential.header]: credential.format.replaceAll('{value}', resolveSecret(credential.ref, this.#secrets)) }
      : {};
    return httpSink(forwarding.target, { name, headers });
  }
}
