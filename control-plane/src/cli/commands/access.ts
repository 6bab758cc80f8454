import { Command, Option } from 'commander';
import { AccessApiClient, AccessApiError, type GrantView } from '../../access/index.ts';
import { loadConfig } from '../../config/index.ts';

interface ConnectionOptions {
  token?: string;
  api?: string;
}

function clientFrom(options: ConnectionOptions): AccessApiClient {
  if (!options.token) throw new Error('no token: pass --token or set EMBGUARD_TOKEN (try `embguard token --demo --sub <you>`)');
  const config = loadConfig();
  return new AccessApiClient({ baseUrl: options.api ?? `http://${config.host}:${config.ports.api}`, token: options.token });
}

/** Prints the API's answer as JSON on stdout, or its error on stderr with exit code 1. */
async function run(options: ConnectionOptions, call: (client: AccessApiClient) => Promise<GrantView | GrantView[]>): Promise<void> {
  try {
    const result = await call(clientFrom(options));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    if (!(err instanceof AccessApiError)) throw err;
    process.stderr.write(`embguard: ${err.message} (${err.code}, HTTP ${err.status})\n`);
    process.exitCode = 1;
  }
}

function withConnection(command: Command): Command {
  return command
    .addOption(new Option('--token <jwt>', 'your OIDC access token').env('EMBGUARD_TOKEN'))
    .option('--api <url>', 'control-plane API base URL (default http://127.0.0.1:<api port>)');
}

/** `embguard access request|approve|deny|revoke|list`: just-in-time access through the control-plane API. */
export function registerAccessCommands(program: Command): void {
  const access = program.command('access').description('Just-in-time access to models: request, decide, revoke, list');

  withConnection(access.command('request'))
    .description('Ask for time-bound access to a model')
    .requiredOption('--model <model...>', 'model(s) to access')
    .requiredOption('--duration <duration>', 'how long, e.g. 90s, 5m, 2h')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action((options: ConnectionOptions & { model: string[]; duration: string; reason: string }) =>
      run(options, (client) => client.request({ models: options.model, duration: options.duration, reason: options.reason })),
    );

  for (const verb of ['approve', 'deny'] as const) {
    withConnection(access.command(`${verb} <id>`))
      .description(`${verb === 'approve' ? 'Approve' : 'Deny'} an access request (not your own)`)
      .action((id: string, options: ConnectionOptions) => run(options, (client) => client[verb](id)));
  }

  withConnection(access.command('revoke <id>'))
    .description('End a grant now, including for requests currently held')
    .action((id: string, options: ConnectionOptions) => run(options, (client) => client.revoke(id)));

  withConnection(access.command('list'))
    .description('Show pending, active, expired and revoked grants')
    .option('--state <state>', 'only this state: pending, denied, scheduled, active, expired, revoked')
    .action((options: ConnectionOptions & { state?: string }) => run(options, (client) => client.list(options.state)));
}
