import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import type { NoteVerifier } from '../signing/index.ts';
import { DirectorySnapshotStore, type SnapshotSource } from './store.ts';
import { SnapshotRejectedError, parseSnapshotFileName, type SnapshotManifest } from './types.ts';
import { openSnapshot } from './verify.ts';

/** A verified snapshot handed to subscribers: what the xDS server and processor swap to. */
export interface SnapshotUpdate {
  readonly seq: number;
  readonly sha256: string;
  /** `<seq>-<hash12>`: the xDS version_info and the id the processor records. */
  readonly version: string;
  readonly compiled: CompiledPolicy;
  readonly manifest: SnapshotManifest;
  readonly file: string;
}

export interface ReloadOutcome {
  /** `loaded`: a newer snapshot is in force; `unchanged`: nothing newer; `rejected`: newer files were all refused; `empty`: no snapshot at all. */
  readonly status: 'loaded' | 'unchanged' | 'rejected' | 'empty';
  readonly current: SnapshotUpdate | undefined;
  readonly rejected: readonly SnapshotRejectedError[];
}

export interface SnapshotLoaderOptions {
  source: SnapshotSource;
  /** Pinned snapshot signing keys. */
  trustedKeys: readonly NoteVerifier[];
  /** Development mode: accept snapshots built with `--dev-unapproved`. */
  allowUnapproved?: boolean;
  /** Never accept a seq at or below this, even before the first load (e.g. the last seq the audit log recorded). */
  minSeq?: number;
  logger: Logger;
  /** Applies a new snapshot (xDS push, processor swap); if it throws, the previous snapshot stays in force. */
  onSnapshot: (update: SnapshotUpdate) => void | Promise<void>;
}

/**
 * Loads the newest valid snapshot from a source and keeps it: a newer file that fails any check
 * (signature, hash, apiVersion, approval, seq) is refused with a typed error naming the file and the
 * last good snapshot stays in force. Reloads are serialized; `watch()` reloads on directory changes.
 */
export class SnapshotLoader {
  readonly #options: SnapshotLoaderOptions;
  readonly #logger: Logger;
  #current: SnapshotUpdate | undefined;
  #running: Promise<ReloadOutcome> | undefined;
  #again = false;
  /** File names already reported as refused, so a bad file is logged once, not at every reload. */
  readonly #reported = new Set<string>();

  constructor(options: SnapshotLoaderOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'snapshot-loader' });
  }

  /** The snapshot in force, or `undefined` before the first valid one (fail closed). */
  current(): SnapshotUpdate | undefined {
    return this.#current;
  }

  /** Looks for a newer snapshot now. Concurrent calls share one run, plus one more if asked during it. */
  async reload(): Promise<ReloadOutcome> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#reloadOnce();
    try {
      let outcome = await this.#running;
      while (this.#again) {
        this.#again = false;
        this.#running = this.#reloadOnce();
        outcome = await this.#running;
      }
      return outcome;
    } finally {
      this.#running = undefined;
    }
  }

  /**
   * Reloads whenever the store directory changes (only for directory sources; poll `reload()` for
   * HTTP). Returns a function that stops watching.
   */
  watch(): () => void {
    const source = this.#options.source;
    if (!(source instanceof DirectorySnapshotStore)) throw new Error('watch() needs a directory snapshot store; call reload() to poll an HTTP source');
    fs.mkdirSync(source.location, { recursive: true });
    const watcher = fs.watch(source.location, (_event, name) => {
      if (name === null || parseSnapshotFileName(path.basename(String(name)))) {
        this.reload().catch((err: unknown) => this.#logger.error({ err }, 'snapshot reload failed'));
      }
    });
    return () => watcher.close();
  }

  async #reloadOnce(): Promise<ReloadOutcome> {
    const { source } = this.#options;
    let names: string[];
    try {
      names = await source.list();
    } catch (err) {
      return this.#outcome('rejected', [new SnapshotRejectedError(source.location, 'unreadable', (err as Error).message)]);
    }
    if (names.length === 0) return this.#outcome(this.#current ? 'unchanged' : 'empty', []);
    const current = this.#current;
    const floor = Math.max(current?.seq ?? 0, this.#options.minSeq ?? 0);
    const seqOf = (name: string): number => parseSnapshotFileName(name)!.seq;
    // Another file claiming the seq in force is a replay or a forgery, whatever it contains.
    const rejected = current
      ? names
          .filter((name) => name !== current.file && seqOf(name) === current.seq)
          .map((name) => new SnapshotRejectedError(name, 'replay', `seq ${current.seq} is already in force as ${current.version}`))
      : [];
    const candidates = names.filter((name) => seqOf(name) > floor).reverse();
    if (candidates.length === 0) {
      if (current && names.includes(current.file)) return this.#outcome(rejected.length > 0 ? 'rejected' : 'unchanged', rejected);
      // The source went backwards: its newest snapshot is older than the one in force.
      const newest = names.at(-1)!;
      return this.#outcome('rejected', [...rejected, new SnapshotRejectedError(newest, 'replay', `newest snapshot in ${source.location} is not above the seq in force (${floor})`)]);
    }
    for (const name of candidates) {
      const result = await this.#tryLoad(name, floor);
      if (result instanceof SnapshotRejectedError) rejected.push(result);
      else return this.#outcome('loaded', rejected);
    }
    return this.#outcome('rejected', rejected);
  }

  async #tryLoad(name: string, floor: number): Promise<SnapshotRejectedError | SnapshotUpdate> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#options.source.read(name);
    } catch (err) {
      return new SnapshotRejectedError(name, 'unreadable', (err as Error).message);
    }
    let update: SnapshotUpdate;
    try {
      const verified = openSnapshot(name, bytes, {
        trustedKeys: this.#options.trustedKeys,
        allowUnapproved: this.#options.allowUnapproved ?? false,
        aboveSeq: floor,
      });
      const { manifest } = verified;
      update = Object.freeze({
        seq: manifest.seq,
        sha256: manifest.sha256,
        version: verified.version,
        compiled: manifest.content.compiled,
        manifest,
        file: name,
      });
    } catch (err) {
      return err instanceof SnapshotRejectedError ? err : new SnapshotRejectedError(name, 'malformed', (err as Error).message);
    }
    try {
      await this.#apply(update);
      return update;
    } catch (err) {
      return new SnapshotRejectedError(name, 'not_applied', (err as Error).message);
    }
  }

  async #apply(update: SnapshotUpdate): Promise<void> {
    await this.#options.onSnapshot(update);
    this.#current = update;
    this.#logger.info({ version: update.version, file: update.file, approved: update.manifest.approved }, 'snapshot in force');
  }

  #outcome(status: ReloadOutcome['status'], rejected: SnapshotRejectedError[]): ReloadOutcome {
    for (const err of rejected) {
      if (this.#reported.has(`${err.file}:${err.reason}`)) continue;
      this.#reported.add(`${err.file}:${err.reason}`);
      this.#logger.warn({ file: err.file, reason: err.reason, inForce: this.#current?.version ?? null }, err.message);
    }
    return { status, current: this.#current, rejected };
  }
}
