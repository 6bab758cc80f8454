/**
 * Compiled policy → what the data path runs: the Envoy resources the xDS server pushes and the
 * processor's runtime policy. Both come from the same signed snapshot and carry its version.
 */
export { toXdsSnapshot, type DataPathPorts } from './xds.ts';
export { toRuntimePolicy } from './processor.ts';
export { credentialRefs, routedUpstream, upstreamInput, UnsafeUpstreamError } from './upstream.ts';
export type { ActiveSnapshot } from './active.ts';
export { policyTestDecider } from './policy-test.ts';
