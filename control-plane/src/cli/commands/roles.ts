import type { Command } from 'commander';
import { reloadCredentialsOnHangup, waitForSignal } from '../signals.ts';
import {
  openSharedState,
  lastEnforcedSeq,
  openSnapshotFeed,
  startControlPlaneRole,
  startProcessorRole,
  type SharedState,
} from '../../app/index.ts';
import { systemClock } from '../../clock/index.ts';
import { loadConfig, type Config } from '../../config/index.ts';
import { createLogger, type Logger } from '../../log/index.ts';
import type { ActiveSnapshot } from '../../runtime/index.ts';
import type { SecretSources } from '../../secrets/index.ts';

/**
 * Runs one role until SIGINT/SIGTERM: loads the newest verified snapshot (refusing to run without
 * one), applies later ones as they appear in the store, and closes cleanly.
 */
async function runRole(
  name: string,
  start: (config: Readonly<Config>, logger: Logger) => Promise<{ shared: SharedState; apply(snapshot: ActiveSnapshot): void; close(): Promise<void> }>,
): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty }).child({ role: name });
  const role = await start(config, logger);
  let feed: ReturnType<typeof openSnapshotFeed>;
  try {
    feed = openSnapshotFeed(config, logger, (snapshot) => role.apply(snapshot), await lastEnforcedSeq(role.shared.audit.store));
    const loaded = await feed.reload();
    if (!feed.current()) {
      throw new Error(`${name}: no enforceable snapshot in ${config.snapshots.source} (${loaded.status}${loaded.rejected.map((r) => `; ${r.message}`).join('')})`);
    }
  } catch (err) {
    // A listening server would keep the process alive after the error was reported.
    await role.close();
    throw err;
  }
  const unwatch = feed.watch();
  process.stdout.write(`${JSON.stringify({ role: name, status: 'ready', snapshot: feed.current()?.version })}\n`);
  await waitForSignal();
  unwatch();
  await role.close();
}

/** `env:` references read the environment; relative `file:` references are under the policy directory. */
function secretSources(config: Readonly<Config>): SecretSources {
  return { env: config.secretEnv, baseDir: config.policyDir };
}

/** `embguard processor` and `embguard control-plane`: the two roles as separate processes. */
export function registerRoleCommands(program: Command): void {
  program
    .command('processor')
    .description('Run only the ext_proc processor (Envoy calls it on every request); shares the audit log and grant store under EMBGUARD_HOME')
    .action(() =>
      runRole('processor', async (config, logger) => {
        const shared = await openSharedState(config, { logger, clock: systemClock, signCheckpoints: false });
        const role = await startProcessorRole(config, { logger, clock: systemClock, shared, secrets: secretSources(config) });
        const stopReloading = reloadCredentialsOnHangup(role.credentials);
        return { shared, apply: (s) => role.apply(s), close: async () => (stopReloading(), await role.close(), await shared.close()) };
      }),
    );
  program
    .command('control-plane')
    .description('Run only the xDS control plane and the control-plane API (Envoy keeps serving its last config while this is down)')
    .action(() =>
      runRole('control-plane', async (config, logger) => {
        const shared = await openSharedState(config, { logger, clock: systemClock, signCheckpoints: true });
        const role = await startControlPlaneRole(config, {
          logger,
          clock: systemClock,
          shared,
          secrets: secretSources(config),
          dataPath: { processor: { host: config.host, port: config.ports.processor } },
        });
        return { shared, apply: (s) => role.apply(s), close: async () => (await role.close(), await shared.close()) };
      }),
    );
}
