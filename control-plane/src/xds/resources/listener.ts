import type { Listener } from '../../generated/envoy/config/listener/v3/Listener.ts';
import type { HttpFilter } from '../../generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.ts';
import type { HttpConnectionManager } from '../../generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.ts';
import type { ExternalProcessor } from '../../generated/envoy/extensions/filters/http/ext_proc/v3/ExternalProcessor.ts';
import type { ResponseMapper } from '../../generated/envoy/extensions/filters/network/http_connection_manager/v3/ResponseMapper.ts';
import type { ErrorCode } from '../../errors/index.ts';
import { durationMs, socketAddress, typed } from './common.ts';
import { errorBody } from './routes.ts';

/** How Envoy reaches the ext_proc processor. */
export interface ProcessorInput {
  /** Cluster name of the processor. */
  cluster: string;
  /** Time Envoy waits for each processor reply; seconds, not the 200 ms default (big bodies). */
  messageTimeoutMs: number;
  /** Longest hold the processor may ask for with `override_message_timeout` (approvals). */
  maxMessageTimeoutMs: number;
}

/** Listener settings. */
export interface ListenerInput {
  name: string;
  host: string;
  port: number;
  routeConfigName: string;
  /** Largest request body; ext_proc buffers it, over this Envoy answers 413 itself. */
  maxRequestBytes: number;
  processor: ProcessorInput;
  /** HTTP filters placed before ext_proc (e.g. jwt_authn, so its claims reach the processor). */
  httpFilters: readonly HttpFilter[];
  /** Local-reply mappers of those filters; they run before the gateway's own mappers. */
  localReplyMappers: readonly ResponseMapper[];
}

const REQUEST_HEADERS_TIMEOUT_MS = 10_000;

/** The metadata namespace jwt_authn writes claims to; forwarded to the processor. */
export const JWT_AUTHN_NAMESPACE = 'envoy.filters.http.jwt_authn';

function extProcFilter(processor: ProcessorInput): HttpFilter {
  const config: ExternalProcessor = {
    grpc_service: { envoy_grpc: { cluster_name: processor.cluster }, timeout: durationMs(processor.messageTimeoutMs) },
    // Fail closed: no request passes unprocessed when the processor is down or errs.
    failure_mode_allow: false,
    processing_mode: {
      request_header_mode: 'SEND',
      request_body_mode: 'BUFFERED',
      response_header_mode: 'SEND',
      response_body_mode: 'BUFFERED',
      request_trailer_mode: 'SKIP',
      response_trailer_mode: 'SKIP',
    },
    // The caller's address for the record's actor (`source.address`, sent with the request headers).
    request_attributes: ['source.address'],
    message_timeout: durationMs(processor.messageTimeoutMs),
    max_message_timeout: durationMs(processor.maxMessageTimeoutMs),
    mutation_rules: { disallow_is_error: { value: true } },
    metadata_options: { forwarding_namespaces: { untyped: [JWT_AUTHN_NAMESPACE] } },
    stat_prefix: 'embguard',
  };
  return { name: 'envoy.filters.http.ext_proc', typed_config: typed('envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor', config) };
}

/** Maps one class of Envoy's own replies to a catalog error in OpenAI JSON shape. */
function jsonMapper(filter: ResponseMapper['filter'], code: ErrorCode, keepStatus: boolean): ResponseMapper {
  const { status, json } = errorBody(code);
  return {
    filter,
    ...(keepStatus ? {} : { status_code: { value: status } }),
    body_format_override: { text_format_source: { inline_string: json }, content_type: 'application/json' },
  };
}

/** A filter on Envoy's request attributes (CEL), e.g. the response code details. */
function celFilter(expression: string): ResponseMapper['filter'] {
  return {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: typed('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', { expression }),
    },
  };
}

/**
 * Envoy's own error replies (processor unreachable or failing, malformed HTTP, body too large,
 * upstream down or slow) become JSON in the OpenAI error shape. Keyed on response code details
 * (observed on Envoy 1.40) or flags only Envoy produces, so the processor's ImmediateResponses,
 * already JSON, pass untouched. First match wins.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/local_reply
 */
function localReplyMappers(): ResponseMapper[] {
  return [
    // ext_proc's own failures (fail closed: connect error, stream error, message timeout) carry
    // details `ext_proc_error_…` and an empty text/plain 500 otherwise.
    jsonMapper(celFilter("response.code_details.startsWith('ext_proc_error')"), 'processor_unavailable', false),
    // Codec errors (`http1.unexpected_underscore`, `http1.content_length_and_chunked_not_allowed`, …)
    // and refused path spellings (`%2F`). With ext_proc on the listener, codec errors that close
    // the connection at once may end with no reply at all; the request never goes upstream either way.
    jsonMapper(
      celFilter("response.code_details.startsWith('http1.') || response.code_details.startsWith('http2.') || response.code_details == 'path_normalization_failed'"),
      'malformed_http',
      true,
    ),
    jsonMapper(celFilter("response.code_details == 'request_payload_too_large'"), 'body_too_large', true),
    jsonMapper({ response_flag_filter: { flags: ['UH', 'UF', 'URX', 'UC', 'UO', 'NR'] } }, 'upstream_unavailable', false),
    jsonMapper({ response_flag_filter: { flags: ['UT'] } }, 'upstream_timeout', false),
  ];
}

/** The HTTP connection manager: hardened path handling, RDS routes, filters → ext_proc → router. */
function connectionManager(input: ListenerInput): HttpConnectionManager {
  return {
    stat_prefix: 'embguard',
    codec_type: 'AUTO',
    // Every spelling of a path is normalised before routing and before the processor sees it
    // (`/v1/../x`, `//v1/embeddings`); `%2F` is refused outright.
    normalize_path: { value: true },
    merge_slashes: true,
    path_with_escaped_slashes_action: 'REJECT_REQUEST',
    common_http_protocol_options: { headers_with_underscores_action: 'REJECT_REQUEST' },
    // Edge proxy: the peer address is the client; a client-sent x-forwarded-for is not trusted.
    use_remote_address: { value: true },
    // Slow-header clients are cut off instead of holding a connection open.
    request_headers_timeout: durationMs(REQUEST_HEADERS_TIMEOUT_MS),
    rds: { route_config_name: input.routeConfigName, config_source: { ads: {}, resource_api_version: 'V3' } },
    http_filters: [
      ...input.httpFilters,
      extProcFilter(input.processor),
      { name: 'envoy.filters.http.router', typed_config: typed('envoy.extensions.filters.http.router.v3.Router', {}) },
    ],
    local_reply_config: { mappers: [...input.localReplyMappers, ...localReplyMappers()] },
  };
}

/** The gateway listener (one filter chain: the HTTP connection manager above). */
export function gatewayListener(input: ListenerInput): Listener {
  return {
    name: input.name,
    address: socketAddress(input.host, input.port),
    // The buffered request body lives in this connection buffer: it is the request size limit.
    per_connection_buffer_limit_bytes: { value: input.maxRequestBytes },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', connectionManager(input)),
          },
        ],
      },
    ],
  };
}
