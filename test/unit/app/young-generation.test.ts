import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROCESSOR_YOUNG_GENERATION_MB } from '../../../control-plane/src/app/index.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { CLI, CLI_NODE_FLAGS } from '../../helpers/cli.ts';
import { freePort } from '../../helpers/ports.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);
const YOUNG_GENERATION_MB = "const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space'); console.log(s.space_size / 2 ** 20)";

describe("the processor's young generation", () => {
  it('is what the CLI starts node with', async () => {
    expect(CLI_NODE_FLAGS).toContain(`--min-semi-space-size=${PROCESSOR_YOUNG_GENERATION_MB}`);
    const { stdout } = await run(process.execPath, [...CLI_NODE_FLAGS, '-e', YOUNG_GENERATION_MB]);
    expect(Number(stdout)).toBe(PROCESSOR_YOUNG_GENERATION_MB);
  });

  it('is the one the masking benchmark measures with', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const benchFlags = scripts['bench:masking']!.split(/\s+/);
    for (const flag of CLI_NODE_FLAGS) expect(benchFlags).toContain(flag);
  });

  it('comes with the CLI when it is run as a program, as npx runs it; a role that cannot start exits', async () => {
    const home = makeTempDir();
    try {
      const env = { ...process.env, EMBGUARD_HOME: home.dir, EMBGUARD_PROCESSOR_PORT: String(await freePort()), EMBGUARD_LOG_LEVEL: 'info' };
      // No snapshot keys in an empty home: the processor starts, finds nothing to enforce and must exit.
      const failed = await run(CLI, ['processor'], { env, timeout: 20_000 }).then(
        () => expect.unreachable('the processor ran without a snapshot'),
        (err: { code?: number; killed?: boolean; stdout: string; stderr: string }) => err,
      );
      expect(failed.killed).toBe(false);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('no pinned snapshot verifier keys');
      const started = failed.stderr.split('\n').find((line) => line.includes('young generation'));
      expect(started).toContain('young generation sized for the processor');
      expect(JSON.parse(started!).youngGenerationMb).toBeGreaterThanOrEqual(PROCESSOR_YOUNG_GENERATION_MB);
    } finally {
      home.cleanup();
    }
  }, 30_000);
});
