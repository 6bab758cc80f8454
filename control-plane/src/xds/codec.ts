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
