import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.ts';
import { registerAccessCommands } from './commands/access.ts';
import { registerTokenCommands } from './commands/token.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerMaskCommands } from './commands/mask.ts';
import { registerUpCommand } from './commands/up.ts';
import { registerRoleCommands } from './commands/roles.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerPolicyCommands } from './commands/policy.ts';
import { policyTestDecider } from '../runtime/index.ts';
import { registerSnapshotCommands } from './commands/snapshot.ts';
import { registerKeysCommands } from './commands/keys.ts';
import { registerXdsCommands } from './commands/xds.ts';
import { registerCredsCommands } from './commands/creds.ts';

/**
 * Builds the `embguard` command tree. Each command group lives in `commands/<group>.ts` and only
 * wires arguments to its capability's public surface.
 */
export function buildProgram(): Command {
  const program = new Command('embguard')
    .description('Identity-aware gateway for embeddings APIs')
    .showHelpAfterError()
    .exitOverride();
  registerUpCommand(program);
  registerRoleCommands(program);
  registerDemoCommand(program);
  registerAuditCommands(program);
  registerMaskCommands(program);
  registerAccessCommands(program);
  registerTokenCommands(program);
  registerPolicyCommands(program, { decide: policyTestDecider });
  registerSnapshotCommands(program);
  registerKeysCommands(program);
  registerXdsCommands(program);
  registerCredsCommands(program);
  return program;
}

/** Runs the CLI and returns the process exit code; commands set it through `process.exitCode`. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      process.stderr.write(`embguard: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`embguard: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
