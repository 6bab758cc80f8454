import { GatewayError } from '../errors/index.ts';
import type { HeaderValueOption } from '../generated/envoy/config/core/v3/HeaderValueOption.ts';
import { setHeader } from './messages.ts';
import type { RuntimePolicy } from './policy.ts';

/** The upstream credentials in force (see the credentials capability); looked up on every forward. */
export interface CredentialSource {
  /** The header to add for `upstream`; holds the secret, so never log it. */
  header(upstream: string): { readonly name: string; readonly value: string } | undefined;
}

/**
 * Headers a caller may send to talk to a provider directly (OpenAI, Azure OpenAI, Cohere, Google,
 * Anthropic, API managers). None reaches the upstream: the gateway's own credential is the only
 * one it sees, and a caller cannot pick an organisation or project the gateway did not choose.
 * `authorization` is already removed by jwt_authn (`forward: false`); removing it again costs nothing.
 */
export const CALLER_PROVIDER_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'openai-organization',
  'openai-project',
  'x-goog-api-key',
  'anthropic-api-key',
  'x-anthropic-api-key',
  'ocp-apim-subscription-key',
  'cookie',
]);

/** Caller headers to remove, except the one the gateway's credential is about to set. */
export function callerHeadersToRemove(policy: RuntimePolicy): string[] {
  const credentialHeader = policy.upstream.credentialHeader;
  return CALLER_PROVIDER_HEADERS.filter((name) => name !== credentialHeader);
}

/**
 * The credential header for the upstream Envoy routes to, read at the moment of forwarding so a
 * rotation applies to the next request. A policy that names a credential the gateway does not
 * hold is refused (fail closed), never forwarded without it.
 */
export function upstreamCredentialHeaders(policy: RuntimePolicy, credentials: CredentialSource | undefined): HeaderValueOption[] {
  const { name, credentialHeader } = policy.upstream;
  if (credentialHeader === undefined) return [];
  const header = credentials?.header(name);
  if (!header || header.name !== credentialHeader) throw new GatewayError('upstream_credential_unavailable');
  return [setHeader(header.name, header.value)];
}
