import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_INCLUDE_DIRS } from '../protos/index.ts';

/**
 * Binary protobuf encoding of Envoy messages outside the gRPC services, e.g. a whole Bootstrap
 * for `envoy --mode validate -c x.pb`. proto-loader gives serializers only for service methods,
 * so this loads the same .proto files (plus bootstrap.proto) into a protobufjs root. The object
 * form is the one our builders write (keepCase fields, `{"@type": …}` for Any, Duration as
 * `{seconds, nanos}`), so the same objects go over ADS and into a static bootstrap.
 */
const BOOTSTRAP_PROTO = 'envoy/config/bootstrap/v3/bootstrap.proto';

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (root) return root;
  const fresh = new protobuf.Root();
  fresh.resolvePath = (_origin, target) => {
    for (const dir of PROTO_INCLUDE_DIRS) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    // google/protobuf/*.proto: protobufjs has these built in under their bare names.
    return target;
  };
  fresh.loadSync([...PROTO_FILES, BOOTSTRAP_PROTO], { keepCase: true });
  fresh.resolveAll();
  root = fresh;
  return fresh;
}

/** Thrown when an object does not encode as the named message (unknown type, wrong field type). */
export class EncodeError extends Error {
  override name = 'EncodeError';
}

/** Encodes `message` (object form) as the protobuf message `typeName`, e.g. `envoy.config.bootstrap.v3.Bootstrap`. */
export function encodeMessage(typeName: string, message: object): Buffer {
  const type = loadRoot().lookupType(typeName);
  try {
    // fromObject, not verify: verify rejects enum names, which are the form we write.
    return Buffer.from(type.encode(type.fromObject(message)).finish());
  } catch (cause) {
    throw new EncodeError(`${typeName}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Decodes a protobuf message back to object form (Any left as `{type_url, value}`), for tests. */
export function decodeMessage(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = loadRoot().lookupType(typeName);
  return type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: false });
}

/**
 * Checks an object against the message type before it is encoded: protobufjs silently drops
 * unknown fields (a typo) and encodes an Any of an unknown `@type` as empty, which Envoy would
 * reject with a confusing error or, worse, accept with a default. Returns every problem with its
 * field path; empty when the object is well-formed.
 */
export function messageShapeProblems(typeName: string, message: object, label: string = typeName): string[] {
  const problems: string[] = [];
  checkMessage(loadRoot().lookupType(typeName), message, label, problems);
  return problems;
}

const ANY = 'google.protobuf.Any';
const TYPE_URL_PREFIX = 'type.googleapis.com/';

function checkMessage(type: protobuf.Type, value: unknown, at: string, problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${at}: expected a ${type.fullName.slice(1)} object`);
    return;
  }
  const record = value as Record<string, unknown>;
  if (type.fullName === `.${ANY}` && '@type' in record) {
    const typeUrl = record['@type'];
    const inner = typeof typeUrl === 'string' && typeUrl.startsWith(TYPE_URL_PREFIX) ? loadRoot().lookup(typeUrl.slice(TYPE_URL_PREFIX.length)) : null;
    if (!(inner instanceof protobuf.Type)) {
      problems.push(`${at}.@type: ${JSON.stringify(typeUrl)} is not a message type we load`);
      return;
    }
    const { '@type': _ignored, ...fields } = record;
    checkMessage(inner, fields, at, problems);
    return;
  }
  for (const [key, fieldValue] of Object.entries(record)) {
    const field = type.fields[key];
    if (!field) {
      problems.push(`${at}.${key}: no such field in ${type.fullName.slice(1)}`);
      continue;
    }
    if (fieldValue === undefined || fieldValue === null) continue;
    field.resolve();
    const path = `${at}.${key}`;
    if (field.map) {
      for (const [k, v] of Object.entries(fieldValue as Record<string, unknown>)) checkValue(field, v, `${path}[${JSON.stringify(k)}]`, problems);
    } else if (field.repeated) {
      if (!Array.isArray(fieldValue)) problems.push(`${path}: expected a list`);
      else fieldValue.forEach((item, i) => checkValue(field, item, `${path}[${i}]`, problems));
    } else {
      checkValue(field, fieldValue, path, problems);
    }
  }
}

function checkValue(field: protobuf.Field, value: unknown, at: string, problems: string[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) checkMessage(resolved, value, at, problems);
  else if (resolved instanceof protobuf.Enum) {
    const known = typeof value === 'string' ? value in resolved.values : Object.values(resolved.values).includes(value as number);
    if (!known) problems.push(`${at}: ${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)}`);
  }
}
