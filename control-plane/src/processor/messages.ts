import type { ProcessingResponse } from '../generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
import type { HttpHeaders__Output } from '../generated/envoy/service/ext_proc/v3/HttpHeaders.ts';
import type { HeaderValueOption } from '../generated/envoy/config/core/v3/HeaderValueOption.ts';
import type { StatusCode } from '../generated/envoy/type/v3/StatusCode.ts';
import { openAIErrorJson } from '../errors/index.ts';

export type { ProcessingResponse } from '../generated/envoy/service/ext_proc/v3/ProcessingResponse.ts';
export type { ProcessingRequest__Output as ProcessingRequest } from '../generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';

/** Request or response headers as a lower-cased name → value map. */
export type HeaderMap = ReadonlyMap<string, string>;

/**
 * Envoy sends header values in `raw_value` (bytes); `value` is only filled by older versions.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/base.proto#config-core-v3-headervalue
 */
export function readHeaders(headers: HttpHeaders__Output | null | undefined): HeaderMap {
  const map = new Map<string, string>();
  for (const header of headers?.headers?.headers ?? []) {
    const value = header.raw_value && header.raw_value.length > 0 ? header.raw_value.toString('utf8') : header.value;
    map.set(header.key.toLowerCase(), value);
  }
  return map;
}

/** A header to set; `raw_value` only, since setting `value` as well makes Envoy fail the request. */
export function setHeader(key: string, value: string): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value, 'utf8') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

export type Phase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body' | 'request_trailers' | 'response_trailers';

/** "Go on unchanged" for the phase Envoy asked about. */
export function continueResponse(phase: Phase): ProcessingResponse {
  if (phase === 'request_trailers' || phase === 'response_trailers') return { [phase]: {} };
  return { [phase]: { response: { status: 'CONTINUE' } } };
}

/** Continue, and set (or overwrite) headers of the message being processed. */
export function continueWithHeaders(phase: 'request_headers' | 'response_headers', set: HeaderValueOption[], remove: string[] = []): ProcessingResponse {
  return { [phase]: { response: { status: 'CONTINUE', header_mutation: { set_headers: set, remove_headers: remove } } } };
}

/**
 * Replace a buffered body. Envoy requires `content-length` to match the new body in the same
 * response, or it answers the client with a local error instead. `extraHeaders` are set on the
 * same message (a buffered request's headers are still unsent at this point).
 */
export function replaceBody(phase: 'request_body' | 'response_body', body: Buffer, extraHeaders: HeaderValueOption[] = []): ProcessingResponse {
  return {
    [phase]: {
      response: {
        status: 'CONTINUE',
        header_mutation: { set_headers: [setHeader('content-length', String(body.length)), ...extraHeaders] },
        body_mutation: { body },
      },
    },
  };
}

/** Answer the client directly with an OpenAI-style JSON error; nothing goes upstream. */
export function errorResponse(err: unknown, requestId: string, extraHeaders: HeaderValueOption[] = []): ProcessingResponse {
  const { status, json } = openAIErrorJson(err, requestId);
  return {
    immediate_response: {
      // Every status in the error catalog is a member of Envoy's StatusCode enum.
      status: { code: status as StatusCode },
      headers: {
        set_headers: [setHeader('content-type', 'application/json'), setHeader('x-request-id', requestId), ...extraHeaders],
      },
      body: Buffer.from(json, 'utf8'),
      details: 'embguard_refused',
    },
  };
}
