import type { UpstreamCredentialRef } from '../credentials/index.ts';
import { isLoopbackHost, type CompiledGateway, type CompiledUpstream } from '../policy/index.ts';
import type { UpstreamInput } from '../xds/index.ts';

/** A snapshot asks for something the data path must not do (e.g. plain http to a remote host). */
export class UnsafeUpstreamError extends Error {
  override name = 'UnsafeUpstreamError';
}

/** The default minimum TLS version to upstreams: TLS 1.0/1.1 are deprecated (RFC 8996). */
const DEFAULT_MIN_TLS_VERSION = 'TLSv1_2';

/**
 * The upstream Envoy routes embeddings and model requests to: the only one, for both routes.
 * The xDS routes and the processor's credential choice both come from here, so the credential
 * added is always the one of the cluster the request goes to. Routing by model is not built: a
 * snapshot with several upstreams (validation refuses them) would send one provider's models to
 * another, so it is refused here too.
 */
export function routedUpstream(gateway: CompiledGateway): CompiledUpstream {
  const [first, second] = gateway.upstreams;
  if (!first) throw new UnsafeUpstreamError('the gateway has no upstream');
  if (second) throw new UnsafeUpstreamError(`the gateway has several upstreams (${first.name}, ${second.name}); routing by model is not built`);
  return first;
}

/**
 * The cluster input for an upstream. https → TLS with SNI (the URL's host unless the policy names
 * another), verification against the system CA bundle or the policy's CA file, and a minimum
 * version. Plain http only to loopback unless the policy sets `allowInsecureHttp` (checked here
 * too, not just by `policy validate`, so a snapshot built by an older CLI cannot bypass it).
 */
export function upstreamInput(upstream: CompiledUpstream): UpstreamInput {
  const { host, port, tls } = upstream.endpoint;
  if (!tls) {
    if (!isLoopbackHost(host) && upstream.allowInsecureHttp !== true) {
      throw new UnsafeUpstreamError(`upstream ${upstream.name}: plain http to ${host} is refused; use https or set allowInsecureHttp: true`);
    }
    return { name: upstream.name, host, port };
  }
  const options = upstream.tls ?? {};
  return {
    name: upstream.name,
    host,
    port,
    tls: {
      sni: options.sni ?? host,
      minVersion: options.minVersion ?? DEFAULT_MIN_TLS_VERSION,
      ...(options.caFile ? { caFile: options.caFile } : {}),
    },
  };
}

/** The credential references of a snapshot's upstreams, for the processor's credential store. */
export function credentialRefs(gateway: CompiledGateway): UpstreamCredentialRef[] {
  return gateway.upstreams.flatMap((upstream) =>
    upstream.credential ? [{ upstream: upstream.name, ref: upstream.credential.ref, header: upstream.credential.header.toLowerCase(), format: upstream.credential.format }] : [],
  );
}
