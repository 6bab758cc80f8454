import type { Command } from 'commander';
import { reloadCredentialsOnHangup, waitForSignal } from '../signals.ts';
import { systemClock } from '../../clock/index.ts';
import { loadConfig, type Config } from '../../config/index.ts';
import { createLogger, type Logger } from '../../log/index.ts';
import { startStack, type RunningStack, type StackOptions } from '../../stack/index.ts';

/** Starts the stack for a CLI command, with progress on stderr. */
export async function startCliStack(
  config: Readonly<Config>,
  logger: Logger,
  demo: boolean,
  onUpstreamRequest?: StackOptions['onUpstreamRequest'],
): Promise<RunningStack> {
  return startStack(config, {
    logger,
    clock: systemClock,
    demo,
    progress: (message) => process.stderr.write(`embguard: ${message}\n`),
    onUpstreamRequest,
  });
}

/** `embguard up [--demo]`: runs control plane, processor and Envoy until Ctrl-C or SIGTERM. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('Start the control plane, the processor and Envoy (and the demo upstream and issuer with --demo)')
    .option('--demo', 'also run the demo embeddings upstream and the demo OIDC issuer', false)
    .action(async (options: { demo: boolean }) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });
      const stack = await startCliStack(config, logger, options.demo);
      process.stdout.write(`${JSON.stringify({ status: 'ready', snapshot: stack.app.active()?.ref.version, urls: stack.urls }, null, 2)}\n`);
      if (options.demo) {
        process.stderr.write(
          'embguard: try it:\n' +
            '  TOKEN=$(npx embguard token --demo --sub alice --groups ml-engineers | tail -n 1)\n' +
            `  curl -s ${stack.urls.gateway}/embeddings -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\\n` +
            `    -d '{"model":"demo-embed","input":"Contact alice@example.com about invoice 4711"}'\n`,
        );
      }
      const stopReloading = reloadCredentialsOnHangup(stack.app.credentials);
      const signal = await waitForSignal();
      stopReloading();
      process.stderr.write(`embguard: ${signal} received, stopping\n`);
      await stack.stop();
    });
}
