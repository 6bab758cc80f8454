/**
 * The ext_proc processor: Envoy's `ExternalProcessor/Process` service. Per request it resolves the
 * caller, decides access, validates and masks the body, commits the audit record, and only then
 * lets the (re-serialised, masked) body go upstream.
 */
export { startProcessor, MAX_GRPC_MESSAGE_BYTES, type ProcessorOptions, type ProcessorServer } from './server.ts';
export { SwappablePolicy, type PolicySource, type RuntimePolicy } from './policy.ts';
export type { ExchangeRecorder, SnapshotRef } from './record.ts';
export { parseEmbeddingsRequest, serializeEmbeddingsRequest, type EmbeddingsRequest, type RequestLimits } from './request.ts';
export { CALLER_PROVIDER_HEADERS, type CredentialSource } from './credentials.ts';
export { decideRequest, refusalError, type DecisionRequest, type RequestDecision } from './decide.ts';
