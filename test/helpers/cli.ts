import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../control-plane/src/config/index.ts';

/** The embguard CLI. */
export const CLI = path.join(PROJECT_ROOT, 'control-plane', 'bin', 'embguard.js');

/** The node flags after `node` in a script's `#!/usr/bin/env -S node …` line. */
export function shebangNodeFlags(script: string): string[] {
  const firstLine = fs.readFileSync(script, 'utf8').split('\n', 1)[0]!;
  const words = firstLine.replace(/^#!\s*/, '').split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`${script}: the first line does not start node: ${firstLine}`);
  return words.slice(node + 1);
}

/** What the CLI runs node with. Tests and benchmarks start it as `process.execPath` (the `node` on
 * PATH may be another one), so they pass these themselves to run the roles as users do. */
export const CLI_NODE_FLAGS: readonly string[] = shebangNodeFlags(CLI);
