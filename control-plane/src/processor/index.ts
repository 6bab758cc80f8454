export { startProcessor, MAX_GRPC_MESSAGE_BYTES, type ProcessorOptions, type ProcessorServer } from './server.ts';
export { SwappablePolicy, type PolicySource, type RuntimePolicy } from './policy.ts';
export {
  openJsonlRecorder,
  type CallerIdentity,
  type ExchangeEntry,
  type ExchangeEntryType,
  type ExchangeRecorder,
  type MaskingSummary,
  type ResponseSummary,
  type SnapshotRef,
} from './record.ts';
export { parseEmbeddingsRequest, serializeEmbeddingsRequest, type EmbeddingsRequest, type RequestLimits } from './request.ts';
export { SUMMARY_READ_LIMIT_BYTES } from './summary.ts';
