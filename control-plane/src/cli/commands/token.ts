import { Command, Option } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { mintDemoToken } from '../../identity/index.ts';
import { createLogger } from '../../log/index.ts';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`not a positive whole number: ${value}`);
  return parsed;
}

/**
 * `embguard token --demo --sub alice --groups ml-engineers`: prints a demo-issuer access token alone
 * on the last line of stdout, ready for `Authorization: Bearer …`.
 */
export function registerTokenCommands(program: Command): void {
  program
    .command('token')
    .description('Print an access token from the demo OIDC issuer (for trying the gateway)')
    .requiredOption('--demo', 'use the demo issuer (the only issuer embguard can mint for)')
    .requiredOption('--sub <subject>', 'subject (user) the token names')
    .option('--groups <groups>', 'comma-separated groups', '')
    .option('--client-id <id>', 'client_id claim')
    .addOption(new Option('--ttl <seconds>', 'lifetime in seconds (max 86400)').argParser(positiveInteger).default(3600))
    .action(async (options: { sub: string; groups: string; clientId?: string; ttl: number }) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
      const groups = options.groups.split(',').map((group) => group.trim()).filter((group) => group !== '');
      const token = await mintDemoToken({
        home: config.home,
        host: config.host,
        port: config.ports.demoIssuer,
        logger,
        sub: options.sub,
        groups,
        ttl: options.ttl,
        ...(options.clientId ? { clientId: options.clientId } : {}),
      });
      process.stderr.write(`token for ${options.sub} (groups: ${groups.join(', ') || 'none'}), valid ${options.ttl}s:\n`);
      process.stdout.write(`${token}\n`);
    });
}
