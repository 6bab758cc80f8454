import path from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdsGrpcType } from '../generated/ads.ts';
import type { ProtoGrpcType as ExtProcGrpcType } from '../generated/external_processor.ts';

const require = createRequire(import.meta.url);
const DEPS = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/** Include paths inside @grpc/grpc-js-xds: we ship no .proto files of our own. */
export const PROTO_INCLUDE_DIRS: readonly string[] = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map(
  (dir) => path.join(DEPS, dir),
);

/**
 * Every proto whose messages we send or receive. They are loaded into ONE root so a
 * `google.protobuf.Any` written as `{"@type": "type.googleapis.com/<name>", ...}` encodes as long as
 * <name> is in this list's closure (ext_proc, jwt_authn, router, … filter configs).
 */
export const PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/ext_proc/v3/external_processor.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/credential_injector/v3/credential_injector.proto',
  'envoy/extensions/http/injected_credentials/generic/v3/generic.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
];

/** The loader options our generated types assume (see control-plane/scripts/generate-proto-types.sh). */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [...PROTO_INCLUDE_DIRS],
};

let cached: (AdsGrpcType & ExtProcGrpcType) | undefined;

/** The gRPC service definitions (ADS, ext_proc) and message types, loaded once per process. */
export function loadEnvoyProtos(): AdsGrpcType & ExtProcGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
    // The generated ProtoGrpcType describes exactly what loadPackageDefinition returns for these files.
    cached = grpc.loadPackageDefinition(definition) as unknown as AdsGrpcType & ExtProcGrpcType;
  }
  return cached;
}
