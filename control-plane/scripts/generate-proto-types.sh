#!/usr/bin/env bash
# Generates TypeScript types for the Envoy protos we speak, from the copies shipped in the npm
# package @grpc/grpc-js-xds (its deps/ folder). Output is build output: git-ignored, made by `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
deps=../node_modules/@grpc/grpc-js-xds/deps
out=src/generated
rm -rf "$out"
../node_modules/.bin/proto-loader-gen-types \
  --keepCase --longs String --enums String --defaults --oneofs \
  --grpcLib @grpc/grpc-js --importFileExtension .ts \
  -I "$deps/envoy-api" -I "$deps/xds" -I "$deps/googleapis" -I "$deps/protoc-gen-validate" \
  -O "$out" \
  envoy/service/discovery/v3/ads.proto \
  envoy/service/ext_proc/v3/external_processor.proto \
  envoy/config/listener/v3/listener.proto \
  envoy/config/cluster/v3/cluster.proto \
  envoy/config/endpoint/v3/endpoint.proto \
  envoy/config/route/v3/route.proto \
  envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto \
  envoy/extensions/filters/http/router/v3/router.proto \
  envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto \
  envoy/extensions/filters/http/jwt_authn/v3/config.proto \
  envoy/extensions/filters/http/credential_injector/v3/credential_injector.proto \
  envoy/extensions/http/injected_credentials/generic/v3/generic.proto \
  envoy/extensions/transport_sockets/tls/v3/tls.proto \
  envoy/extensions/upstreams/http/v3/http_protocol_options.proto \
  envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto \
  envoy/extensions/access_loggers/filters/cel/v3/cel.proto
