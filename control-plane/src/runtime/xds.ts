import { buildJwtAuthn, jwtAuthnLocalReplyMapper } from '../identity/index.ts';
import { buildGatewaySnapshot, type XdsSnapshot } from '../xds/index.ts';
import type { ActiveSnapshot } from './active.ts';
import { routedUpstream, upstreamInput } from './upstream.ts';

/** Where the data-path processes listen; overrides the policy's listener port in tests. */
export interface DataPathPorts {
  processor: { host: string; port: number };
  listener?: { host: string; port: number };
}

/** How long Envoy waits for one processor reply before failing the request (closed). */
const PROCESSOR_MESSAGE_TIMEOUT_MS = 5_000;

/**
 * Builds the Envoy resources for a snapshot, versioned `<seq>-<hash12>`. No credential is part of
 * them: the processor adds it per request (docs/adr/0001-upstream-credentials.md).
 */
export function toXdsSnapshot(active: ActiveSnapshot, ports: DataPathPorts): XdsSnapshot {
  const { gateway, identityProviders } = active.compiled;
  const jwt = identityProviders.length > 0 ? buildJwtAuthn(identityProviders) : undefined;
  const routed = routedUpstream(gateway);
  return buildGatewaySnapshot(active.ref.version, {
    listener: ports.listener ?? { host: gateway.listener.address, port: gateway.listener.port },
    processor: { ...ports.processor, messageTimeoutMs: PROCESSOR_MESSAGE_TIMEOUT_MS },
    upstreams: gateway.upstreams.map(upstreamInput),
    routes: { embeddingsUpstream: routed.name, modelsUpstream: routed.name, upstreamTimeoutMs: routed.timeoutMs },
    maxRequestBytes: gateway.limits.maxBodyBytes,
    httpFilters: jwt ? [jwt.httpFilter] : [],
    localReplyMappers: jwt ? [jwtAuthnLocalReplyMapper()] : [],
    extraClusters: jwt?.clusters ?? [],
  });
}
