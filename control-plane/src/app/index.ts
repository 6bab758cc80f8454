/**
 * The running roles of embguard: the processor (ext_proc) and the control plane (xDS + API), each
 * fed verified snapshots from the store. `start` runs both in one process (`embguard up`, tests);
 * `embguard processor` and `embguard control-plane` run them apart.
 */
export { start, type App, type AppDeps } from './all.ts';
export { PROCESSOR_YOUNG_GENERATION_MB, startProcessorRole, youngGenerationMb, type ProcessorRole } from './processor-role.ts';
export { startControlPlaneRole, type ControlPlaneRole } from './control-plane-role.ts';
export { openSharedState, DEFAULT_JIT_SETTINGS, type SharedState } from './shared.ts';
export { lastEnforcedSeq, openSnapshotFeed, NoTrustedKeysError } from './snapshots.ts';
