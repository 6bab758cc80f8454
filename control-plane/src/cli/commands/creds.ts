import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { CREDENTIALS_RELOAD_PATH, type CredentialReloadResult } from '../../credentials/index.ts';

function apiBase(api: string | undefined): string {
  const config = loadConfig();
  return api ?? `http://${config.host}:${config.ports.api}`;
}

/** Calls the control-plane API; a message on stderr and exit code 1 when it does not answer. */
async function callApi(url: string, method: 'GET' | 'POST'): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method });
  } catch {
    process.stderr.write(`embguard: the control plane at ${new URL(url).origin} does not answer; is 'embguard up' running? (a separate 'embguard processor' reloads on SIGHUP)\n`);
    process.exitCode = 1;
    return undefined;
  }
  const body: unknown = await res.json();
  if (!res.ok) {
    process.stderr.write(`embguard: ${res.status} from ${url}\n`);
    process.exitCode = 1;
  }
  return body;
}

async function reload(options: { api?: string }): Promise<void> {
  const body = await callApi(`${apiBase(options.api)}${CREDENTIALS_RELOAD_PATH}`, 'POST');
  if (body === undefined) return;
  process.stdout.write(`${JSON.stringify(body)}\n`);
  const result = body as Partial<CredentialReloadResult>;
  for (const rotation of result.rotated ?? []) process.stderr.write(`embguard: ${rotation.upstream}: rotated to ${rotation.fingerprint}\n`);
  for (const failure of result.failed ?? []) process.stderr.write(`embguard: ${failure.upstream}: ${failure.reason} (the last good value stays in use)\n`);
  if ((result.failed ?? []).length > 0) process.exitCode = 1;
}

async function list(options: { api?: string }): Promise<void> {
  const body = await callApi(`${apiBase(options.api)}/v1/credentials`, 'GET');
  if (body !== undefined) process.stdout.write(`${JSON.stringify(body)}\n`);
}

/** `embguard creds reload|list`: re-read upstream credentials without restarting; show references and fingerprints. */
export function registerCredsCommands(program: Command): void {
  const creds = program.command('creds').description('upstream credentials (references and keyed fingerprints; never values)');
  creds
    .command('reload')
    .description('re-read every upstream credential reference now (exit 1 if one could not be read; its last good value stays)')
    .option('--api <url>', 'control-plane API base URL (default http://127.0.0.1:<api port>)')
    .action(reload);
  creds
    .command('list')
    .description('the credentials in force: upstream, reference, header and fingerprint')
    .option('--api <url>', 'control-plane API base URL (default http://127.0.0.1:<api port>)')
    .action(list);
}
