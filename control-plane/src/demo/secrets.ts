import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The environment variable the example MaskingPolicy names for its tokenization key. */
export const DEMO_TOKENIZATION_KEY_ENV = 'EMBGUARD_TOKENIZATION_KEY';
/** The environment variable the example Gateway names for the demo upstream's API key. */
export const DEMO_UPSTREAM_KEY_ENV = 'EMBGUARD_DEMO_UPSTREAM_KEY';

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

/** Each demo secret: the variable the example policy names and its file under `<home>/demo/`. */
const DEMO_SECRETS: readonly { env: string; file: string }[] = [
  { env: DEMO_TOKENIZATION_KEY_ENV, file: 'tokenization.key' },
  { env: DEMO_UPSTREAM_KEY_ENV, file: 'upstream-api.key' },
];

/**
 * Secrets the demo needs and a new user does not have, each generated once into `<home>/demo/`
 * (mode 0600) and reused, so tokens stay stable across restarts: the tokenization key, and the
 * demo upstream's API key (the demo upstream requires it, as a real provider would). A variable
 * already set in `env` wins.
 */
export function demoSecretEnv(home: string, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const secret of DEMO_SECRETS) {
    if (!env[secret.env]) secrets[secret.env] = readOrCreateKey(path.join(home, 'demo', secret.file));
  }
  return secrets;
}
