import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { formatStatusTable, loadXdsStatus, xdsStatusFile } from '../../xds/index.ts';

async function status(options: { json?: boolean; api?: string; file?: string }): Promise<void> {
  const config = loadConfig();
  const loaded = await loadXdsStatus({
    apiBaseUrl: options.api ?? `http://${config.host}:${config.ports.api}`,
    statusFile: options.file ?? xdsStatusFile(config.home),
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ source: loaded.source, ...loaded.document })}\n`);
  } else {
    if (loaded.source === 'file') process.stderr.write('control plane not answering; showing the last status it wrote\n');
    process.stdout.write(formatStatusTable(loaded.document));
  }
  // A node running on a rejected config is worth a non-zero exit for scripts and CI.
  if (loaded.document.nodes.some((node) => node.state === 'rejected')) process.exitCode = 3;
}

/** `embguard xds status`: per Envoy node, the version it runs, ACK/NACK state and Envoy's error text. */
export function registerXdsCommands(program: Command): void {
  const xds = program.command('xds').description('xDS control plane');
  xds
    .command('status')
    .description('per-node xDS status: version accepted or rejected, error text, last push (exit 3 if a node rejected its config)')
    .option('--json', 'print the status document as JSON')
    .option('--api <url>', 'control-plane API base URL (default http://127.0.0.1:<api port>)')
    .option('--file <path>', 'status file to read when the API does not answer (default <home>/run/xds-status.json)')
    .action(status);
}
