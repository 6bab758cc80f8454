import { JWT_AUTHN_FILTER_NAME, JWT_PAYLOAD_METADATA_KEY } from './jwt-authn.ts';
import { DEFAULT_CLAIM_NAMES, type ClaimNames, type Identity, type IdentityProviderSettings } from './types.ts';

/**
 * A `google.protobuf.Struct` as proto-loader decodes it (`{fields: {k: Value}}`, Value with
 * `stringValue`/`listValue`/… and a `kind`), or already-plain JSON. Both shapes are accepted so
 * tests and other callers can pass either.
 */
export type StructLike = { fields?: Record<string, unknown> } | Record<string, unknown>;

/** The part of an ext_proc `ProcessingRequest` that carries filter metadata. */
export interface MetadataContextLike {
  filter_metadata?: Record<string, StructLike | undefined> | null;
}

/** Why a request has no identity; for logs and audit, never shown to the client beyond `unauthenticated`. */
export type UnauthenticatedReason = 'no_jwt_metadata' | 'unknown_issuer' | 'missing_subject';

export type IdentityResult = { ok: true; identity: Identity } | { ok: false; reason: UnauthenticatedReason };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isProtoStruct(value: Record<string, unknown>): value is { fields: Record<string, unknown> } {
  return Object.keys(value).length === 1 && isRecord(value.fields);
}

/** Converts a decoded protobuf `Value` (camelCase or snake_case oneof names) to plain JSON. */
function valueToJson(value: unknown): Json {
  if (!isRecord(value)) return null;
  const pick = (camel: string, snake: string): unknown => value[camel] ?? value[snake];
  const str = pick('stringValue', 'string_value');
  if (typeof str === 'string') return str;
  const num = pick('numberValue', 'number_value');
  if (typeof num === 'number') return num;
  const bool = pick('boolValue', 'bool_value');
  if (typeof bool === 'boolean') return bool;
  const struct = pick('structValue', 'struct_value');
  if (isRecord(struct)) return structToJson(struct);
  const list = pick('listValue', 'list_value');
  if (isRecord(list) && Array.isArray(list.values)) return list.values.map(valueToJson);
  return null;
}

/** A Struct (proto-loader shape or plain JSON object) as a plain JSON object. */
export function structToJson(struct: StructLike): Record<string, Json> {
  if (isProtoStruct(struct)) {
    return Object.fromEntries(Object.entries(struct.fields).map(([key, value]) => [key, valueToJson(value)]));
  }
  return struct as Record<string, Json>; // plain JSON already; only read through the narrowing helpers below.
}

function claimString(value: Json | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Groups may be a JSON array or, as some issuers send them, one space-separated string. */
function claimGroups(value: Json | undefined): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item !== '');
  if (typeof value === 'string') return value.split(/\s+/).filter((item) => item !== '');
  return [];
}

/** The verified JWT payload jwt_authn left for the processor, or undefined when there is none. */
export function jwtPayloadFromMetadata(metadata: MetadataContextLike | null | undefined): Record<string, Json> | undefined {
  const namespace = metadata?.filter_metadata?.[JWT_AUTHN_FILTER_NAME];
  if (!namespace || !isRecord(namespace)) return undefined;
  const payload = structToJson(namespace)[JWT_PAYLOAD_METADATA_KEY];
  return isRecord(payload) ? (payload as Record<string, Json>) : undefined;
}

/**
 * The identity named by a verified JWT payload. Claim names come from the provider whose `issuer`
 * equals the token's `iss`; an unknown issuer or a missing subject ⇒ unauthenticated.
 */
export function identityFromClaims(
  payload: Readonly<Record<string, unknown>>,
  providers: readonly Pick<IdentityProviderSettings, 'issuer' | 'claims'>[],
): IdentityResult {
  const claims = payload as Record<string, Json>; // a decoded JWT payload is JSON by construction.
  const issuer = claimString(claims.iss);
  const provider = providers.find((candidate) => candidate.issuer === issuer);
  if (!provider || !issuer) return { ok: false, reason: 'unknown_issuer' };
  const names: ClaimNames = { ...DEFAULT_CLAIM_NAMES, ...provider.claims };
  const subject = claimString(claims[names.subject]);
  if (!subject) return { ok: false, reason: 'missing_subject' };
  return {
    ok: true,
    identity: {
      subject,
      groups: claimGroups(claims[names.groups]),
      clientId: claimString(claims[names.clientId]),
      issuer,
    },
  };
}

/**
 * The identity of a request from the claims jwt_authn verified and left in the ext_proc
 * `metadata_context`. Fails closed: no metadata ⇒ unauthenticated.
 */
export function identityFromMetadata(
  metadata: MetadataContextLike | null | undefined,
  providers: readonly Pick<IdentityProviderSettings, 'issuer' | 'claims'>[],
): IdentityResult {
  const payload = jwtPayloadFromMetadata(metadata);
  if (!payload) return { ok: false, reason: 'no_jwt_metadata' };
  return identityFromClaims(payload, providers);
}
