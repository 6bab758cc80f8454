import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The environment variable the example MaskingPolicy names for its tokenization key. */
export const DEMO_TOKENIZATION_KEY_ENV = 'EMBGUARD_TOKENIZATION_KEY';

function readOrCreateKey(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

/**
 * Secrets the demo needs and a new user does not have: a tokenization key generated once into
 * `<home>/demo/` (mode 0600) and reused, so tokens stay stable across restarts.
 */
export function demoSecretEnv(home: string, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (env[DEMO_TOKENIZATION_KEY_ENV]) return {};
  return { [DEMO_TOKENIZATION_KEY_ENV]: readOrCreateKey(path.join(home, 'demo', 'tokenization.key')) };
}
