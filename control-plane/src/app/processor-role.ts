import v8 from 'node:v8';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import { fingerprintKeyFile, loadFingerprintKey, rotationAuditEvent, UpstreamCredentials } from '../credentials/index.ts';
import type { Logger } from '../log/index.ts';
import { preloadTokenizer } from '../masking/index.ts';
import { startProcessor, SwappablePolicy, type ProcessorServer } from '../processor/index.ts';
import { credentialRefs, toRuntimePolicy, type ActiveSnapshot } from '../runtime/index.ts';
import type { SecretSources } from '../secrets/index.ts';
import type { SharedState } from './shared.ts';

/** The ext_proc processor with the policy it enforces. */
export interface ProcessorRole {
  readonly server: ProcessorServer;
  /** Upstream credentials of the snapshot in force (reload, list); values stay in this process. */
  readonly credentials: UpstreamCredentials;
  /** Swaps the processor's policy; throws, changing nothing, if the snapshot cannot be enforced. */
  apply(snapshot: ActiveSnapshot): void;
  close(): Promise<void>;
}

/** The young generation (MB per semi-space) the CLI starts node with (`control-plane/bin/embguard.js`). */
export const PROCESSOR_YOUNG_GENERATION_MB = 16;

/** The size of one semi-space of V8's young generation, in MB. */
export function youngGenerationMb(): number {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return (space?.space_size ?? 0) / 2 ** 20;
}

/** Says so when node runs with a young generation too small for the processor's garbage: each
 * collection stalls the one request it lands in, by default about every 130th PII-dense request. */
function checkYoungGeneration(logger: Logger): void {
  const youngGeneration = youngGenerationMb();
  if (youngGeneration >= PROCESSOR_YOUNG_GENERATION_MB) {
    logger.info({ youngGenerationMb: youngGeneration }, 'young generation sized for the processor');
    return;
  }
  logger.warn(
    { youngGenerationMb: youngGeneration, recommendedMb: PROCESSOR_YOUNG_GENERATION_MB },
    `young generation is ${youngGeneration} MB: garbage collections will stall masked requests often; start node with --min-semi-space-size=${PROCESSOR_YOUNG_GENERATION_MB} (control-plane/bin/embguard.js does)`,
  );
}

export async function startProcessorRole(
  config: Readonly<Config>,
  deps: { logger: Logger; clock: Clock; shared: SharedState; secrets: SecretSources },
): Promise<ProcessorRole> {
  // The tokenizer table takes ~0.4 s to load; pay it at start, not on the first token-id request.
  preloadTokenizer();
  checkYoungGeneration(deps.logger);
  const policy = new SwappablePolicy();
  const credentials = new UpstreamCredentials({
    sources: deps.secrets,
    fingerprintKey: loadFingerprintKey(fingerprintKeyFile(config.home)),
    logger: deps.logger.child({ component: 'credentials' }),
    onRotated: (rotation) => deps.shared.recordInBackground(rotationAuditEvent(rotation)),
  });
  const unwatch = credentials.watch();
  const server = await startProcessor({
    host: config.host,
    port: config.ports.processor,
    policy,
    recorder: deps.shared.audit,
    grants: () => deps.shared.access.grantWindows(),
    clock: deps.clock,
    logger: deps.logger,
    credentials,
  });
  return {
    server,
    credentials,
    apply(snapshot) {
      const runtime = toRuntimePolicy(snapshot, deps.secrets);
      credentials.configure(credentialRefs(snapshot.compiled.gateway));
      policy.replace(runtime);
      deps.shared.useSnapshot(snapshot);
      deps.logger.info({ version: snapshot.ref.version }, 'processor policy swapped');
    },
    close: () => {
      unwatch();
      return server.close();
    },
  };
}
