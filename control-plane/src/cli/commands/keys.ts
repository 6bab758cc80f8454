import type { Command } from 'commander';
import { SNAPSHOT_KEY_NAME, generateSnapshotKeyFiles } from '../../snapshot/index.ts';

/** `embguard keys generate`: an Ed25519 signing key pair for snapshots (and later checkpoints and approvals). */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('Signing keys');
  keys
    .command('generate')
    .description('Create an Ed25519 key pair: private key (mode 0600) and public key with its fingerprint')
    .requiredOption('--out <dir>', 'directory for snapshot-signing.key and snapshot-signing.pub')
    .option('--name <name>', 'signed-note key name', SNAPSHOT_KEY_NAME)
    .action((options: { out: string; name: string }) => {
      const generated = generateSnapshotKeyFiles(options.out, options.name);
      process.stdout.write(`${JSON.stringify(generated, null, 2)}\n`);
      process.stderr.write(`private key ${generated.privateKeyFile} (keep secret); pin ${generated.publicKeyFile} in control planes\n`);
    });
}
