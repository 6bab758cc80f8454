import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

/** A throwaway PostgreSQL cluster on a loopback port, removed by `stop()`. */
export interface PostgresCluster {
  /** URL of the default `postgres` database. */
  url: string;
  /** Creates a fresh empty database and returns its URL (one per test keeps tests independent). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The newest installed Debian PostgreSQL server binaries directory, if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/**
 * Fails the calling test file when PostgreSQL's server binaries are missing, with the install
 * hint: PostgreSQL tests never skip (`make test` installs the Debian package).
 */
export function requirePostgres(): void {
  if (!postgresBinDir()) {
    throw new Error('PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): run ci/install-system-deps.sh (as root)');
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
function runPg(bin: string, args: string[]): void {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a fresh cluster (trust auth, loopback only) in a temporary directory. */
export async function startPostgres(): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error('PostgreSQL is required but not installed: run ci/install-system-deps.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embguard-pg-'));
  if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const port = await freePort();
  runPg(path.join(binDir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
  runPg(path.join(binDir, 'pg_ctl'), ['-D', data, '-o', serverOptions, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  const url = (db: string): string => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    url: url('postgres'),
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop: async () => {
      try {
        runPg(path.join(binDir, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
