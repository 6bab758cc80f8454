import type { Cluster } from '../../generated/envoy/config/cluster/v3/Cluster.ts';
import { durationMs, isIpLiteral, socketAddress, typed } from './common.ts';

/** One upstream embeddings API (demo upstream, OpenAI, Ollama, TEI, vLLM …). */
export interface UpstreamInput {
  /** Cluster name; letters, digits, `_`, `-`, `.`. */
  name: string;
  host: string;
  port: number;
  /** TLS to the upstream; the certificate must name `sni` (checked against its SAN). */
  tls?: {
    sni: string;
    /** PEM bundle of trusted CAs; the system bundle when omitted. */
    caFile?: string;
    minVersion?: 'TLSv1_2' | 'TLSv1_3';
  };
}

/** CA bundle used when an upstream's TLS settings name none (Debian/Ubuntu location). */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Default response buffer: 32 MiB holds e.g. 1,000 float vectors of 1,536 dimensions as JSON
 * (~20 bytes per number); base64 responses are about a third of that size.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * A cluster whose single endpoint is `host:port`: STATIC for an IP literal, STRICT_DNS for a
 * name, TLS with SAN check when asked. Used for embeddings upstreams and for hosts other filters
 * call (a JWKS endpoint).
 */
export function upstreamCluster(upstream: UpstreamInput, maxResponseBytes: number = DEFAULT_MAX_RESPONSE_BYTES): Cluster {
  return {
    name: upstream.name,
    type: isIpLiteral(upstream.host) ? 'STATIC' : 'STRICT_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    connect_timeout: durationMs(CONNECT_TIMEOUT_MS),
    // The response body is BUFFERED for ext_proc; its buffer is bounded by the upstream
    // connection's limit, so this is the largest embeddings response the gateway passes (else 500).
    per_connection_buffer_limit_bytes: { value: maxResponseBytes },
    load_assignment: {
      cluster_name: upstream.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(upstream.host, upstream.port) } }] }],
    },
    ...(upstream.tls ? { transport_socket: upstreamTls(upstream.tls) } : {}),
  };
}

function upstreamTls(tls: NonNullable<UpstreamInput['tls']>): NonNullable<Cluster['transport_socket']> {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
      sni: tls.sni,
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: tls.minVersion ?? 'TLSv1_2' },
        validation_context: {
          trusted_ca: { filename: tls.caFile ?? SYSTEM_CA_FILE },
          // Envoy checks the chain only; the name check must be asked for explicitly.
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: tls.sni } }],
        },
      },
    }),
  };
}

/** The ext_proc processor's cluster: gRPC, so HTTP/2 is mandatory (HTTP/1 silently breaks it). */
export function processorCluster(name: string, host: string, port: number): Cluster {
  return {
    name,
    type: 'STATIC',
    connect_timeout: durationMs(CONNECT_TIMEOUT_MS),
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
        explicit_http_config: { http2_protocol_options: {} },
      }),
    },
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
    },
  };
}
