import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { startProcessor, SwappablePolicy, type ProcessorServer } from '../processor/index.ts';
import { toRuntimePolicy, type ActiveSnapshot } from '../runtime/index.ts';
import type { SecretSources } from '../secrets/index.ts';
import type { SharedState } from './shared.ts';

/** The ext_proc processor with the policy it enforces. */
export interface ProcessorRole {
  readonly server: ProcessorServer;
  /** Swaps the processor's policy; throws, changing nothing, if the snapshot cannot be enforced. */
  apply(snapshot: ActiveSnapshot): void;
  close(): Promise<void>;
}

export async function startProcessorRole(
  config: Readonly<Config>,
  deps: { logger: Logger; clock: Clock; shared: SharedState; secrets: SecretSources },
): Promise<ProcessorRole> {
  const policy = new SwappablePolicy();
  const server = await startProcessor({
    host: config.host,
    port: config.ports.processor,
    policy,
    recorder: deps.shared.audit,
    grants: () => deps.shared.access.grantWindows(),
    clock: deps.clock,
    logger: deps.logger,
  });
  return {
    server,
    apply(snapshot) {
      policy.replace(toRuntimePolicy(snapshot, deps.secrets));
      deps.logger.info({ version: snapshot.ref.version }, 'processor policy swapped');
    },
    close: () => server.close(),
  };
}
