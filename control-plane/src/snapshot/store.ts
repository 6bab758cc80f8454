import fs from 'node:fs';
import path from 'node:path';
import { readManifestUnverified } from './verify.ts';
import { SnapshotBuildError, parseSnapshotFileName, type SnapshotManifest } from './types.ts';

/** Where snapshots are read from: a directory by default, or an HTTP(S) base URL. */
export interface SnapshotSource {
  /** The directory or URL, for messages. */
  readonly location: string;
  /** Snapshot file names, lowest seq first. */
  list(): Promise<string[]>;
  read(name: string): Promise<Uint8Array>;
}

/** Name of the listing an HTTP source reads; `snapshot build` keeps it next to the snapshots. */
export const INDEX_FILE = 'index.json';

function sortBySeq(names: readonly string[]): string[] {
  return names
    .filter((name) => parseSnapshotFileName(name) !== undefined)
    .sort((a, b) => parseSnapshotFileName(a)!.seq - parseSnapshotFileName(b)!.seq || a.localeCompare(b));
}

/**
 * A directory of immutable snapshot files (`EMBGUARD_HOME/snapshots` by default). Files are written
 * once — to a temporary name, then hard-linked into place, which fails if the name exists — and
 * made read-only; nothing here overwrites or deletes a snapshot.
 */
export class DirectorySnapshotStore implements SnapshotSource {
  readonly location: string;

  constructor(dir: string) {
    this.location = path.resolve(dir);
  }

  async list(): Promise<string[]> {
    if (!fs.existsSync(this.location)) return [];
    return sortBySeq(await fs.promises.readdir(this.location));
  }

  async read(name: string): Promise<Uint8Array> {
    return fs.promises.readFile(this.pathOf(name));
  }

  pathOf(name: string): string {
    if (name !== path.basename(name)) throw new Error(`not a snapshot file name: ${name}`);
    return path.join(this.location, name);
  }

  /** Writes a new snapshot file; refuses to replace an existing one. */
  async write(name: string, bytes: Uint8Array): Promise<string> {
    await fs.promises.mkdir(this.location, { recursive: true });
    const target = this.pathOf(name);
    const temp = `${target}.${process.pid}.tmp`;
    await fs.promises.writeFile(temp, bytes, { mode: 0o444, flag: 'wx' });
    try {
      await fs.promises.link(temp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SnapshotBuildError(`${target} already exists: snapshots are never overwritten`);
      throw err;
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
    await this.writeIndex();
    return target;
  }

  /** The newest snapshot's manifest, read without signature checks (the builder's own store). */
  async latestManifest(): Promise<{ name: string; manifest: SnapshotManifest } | undefined> {
    const name = (await this.list()).at(-1);
    if (!name) return undefined;
    return { name, manifest: readManifestUnverified(this.pathOf(name), await this.read(name)) };
  }

  /** The listing for HTTP serving; only a convenience, every file is still verified on its own. */
  private async writeIndex(): Promise<void> {
    const index = path.join(this.location, INDEX_FILE);
    const temp = `${index}.${process.pid}.tmp`;
    await fs.promises.writeFile(temp, `${JSON.stringify(await this.list())}\n`);
    await fs.promises.rename(temp, index);
  }
}

/** Snapshots published over HTTP(S): `<base>/index.json` lists the files, `<base>/<name>` serves each. */
export class HttpSnapshotSource implements SnapshotSource {
  readonly location: string;

  constructor(baseUrl: string) {
    this.location = baseUrl.replace(/\/+$/, '');
  }

  async list(): Promise<string[]> {
    const names: unknown = await (await this.get(INDEX_FILE)).json();
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error(`${this.location}/${INDEX_FILE} is not a list of names`);
    return sortBySeq(names);
  }

  async read(name: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.get(name)).arrayBuffer());
  }

  private async get(name: string): Promise<Response> {
    const url = `${this.location}/${encodeURIComponent(name)}`;
    const response = await fetch(url, { redirect: 'error' });
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    return response;
  }
}

/** A directory store for a path, an HTTP source for an `http(s)://` URL. */
export function openSnapshotSource(location: string): SnapshotSource {
  return /^https?:\/\//.test(location) ? new HttpSnapshotSource(location) : new DirectorySnapshotStore(location);
}
