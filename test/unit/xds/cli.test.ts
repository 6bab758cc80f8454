import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerXdsCommands } from '../../../control-plane/src/cli/commands/xds.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';

const FIXTURE = path.join(PROJECT_ROOT, 'test/fixtures/xds/status-rejected.json');
// The API is pointed at a closed port so the file fallback is what is read.
const OFFLINE = ['--api', 'http://127.0.0.1:1', '--file', FIXTURE];

/** Runs `embguard xds …` in-process (only this command group) and captures its output. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('embguard').exitOverride();
  registerXdsCommands(program);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'embguard', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('embguard xds status', () => {
  it('prints the table from the status file and exits 3 when a node rejected its config', async () => {
    const { code, stdout, stderr } = await run(['xds', 'status', ...OFFLINE]);
    expect(code).toBe(3);
    expect(stderr).toContain('control plane not answering');
    expect(stdout).toMatch(/envoy-1\s+rejected\s+yes\s+1-aaaaaaaaaaaa\s+2-bbbbbbbbbbbb/);
    expect(stdout).toContain('malformed IP address: 999.1.1.1');
  });

  it('prints the document as JSON with --json', async () => {
    const { stdout } = await run(['xds', 'status', '--json', ...OFFLINE]);
    expect(JSON.parse(stdout)).toMatchObject({ source: 'file', snapshotVersion: '2-bbbbbbbbbbbb', nodes: [{ nodeId: 'envoy-1' }] });
  });
});
