import { execFileSync } from 'node:child_process';
import path from 'node:path';

function git(repo: string, args: readonly string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The full commit SHA a ref names (`HEAD`, `main`, `<sha>^1` …). */
export function gitRevParse(repo: string, ref: string): string {
  return git(repo, ['rev-parse', '--verify', `${ref}^{commit}`]).trim();
}

/** The first parent of a merge (or squash) commit: the base branch as it was before the change. */
export function gitBaseRevision(repo: string, revision: string): string | undefined {
  try {
    return gitRevParse(repo, `${revision}^1`);
  } catch {
    return undefined;
  }
}

/**
 * The policy files (`*.yaml`/`*.yml` directly in `dir`) as committed at `revision`, read from Git
 * objects rather than the working tree so a snapshot is exactly what was merged.
 */
export function readPolicyFilesAt(repo: string, revision: string, dir: string): { file: string; source: string }[] {
  const root = git(repo, ['rev-parse', '--show-toplevel']).trim();
  const relative = path.relative(root, path.resolve(repo, dir)).split(path.sep).join('/');
  const listing = git(repo, ['ls-tree', '-z', revision, '--', `${relative}/`]);
  return listing
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const [meta, file] = line.split('\t') as [string, string];
      return { type: meta.split(' ')[1], file };
    })
    .filter((entry) => entry.type === 'blob' && /\.ya?ml$/.test(entry.file))
    .map((entry) => ({ file: entry.file, source: git(repo, ['show', `${revision}:${entry.file}`]) }))
    .sort((a, b) => a.file.localeCompare(b.file));
}
