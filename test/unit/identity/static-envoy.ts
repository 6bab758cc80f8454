import fs from 'node:fs';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES } from '../../../control-plane/src/protos/index.ts';
import type { JwtAuthnResources } from '../../../control-plane/src/identity/index.ts';
import type { ResponseMapper } from '../../../control-plane/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/ResponseMapper.ts';

/**
 * A static Envoy bootstrap holding the jwt_authn filter exactly as the builder produced it, encoded
 * as binary protobuf (`.pb`) with the same proto-loader options the xDS server uses. Envoy parses
 * the file the way it parses ADS resources, so "validates here" means "would be accepted over ADS".
 */
export function writeStaticBootstrap(
  dir: string,
  jwt: JwtAuthnResources,
  ports: { listener: number; admin: number; echoUpstream?: number },
  options: { localReplyMappers?: readonly ResponseMapper[] } = {},
): string {
  const files = new Set(['envoy/config/bootstrap/v3/bootstrap.proto', 'envoy/extensions/access_loggers/filters/cel/v3/cel.proto', ...PROTO_FILES]);
  const definition = protoLoader.loadSync([...files], LOADER_OPTIONS);
  const bootstrapType = definition['envoy.config.bootstrap.v3.Bootstrap'] as protoLoader.MessageTypeDefinition<object, object>;
  const socket = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  // `/echo` goes to a real upstream and tells it the subject jwt_authn left in dynamic metadata,
  // so a test sees both what the upstream receives and that `payload_in_metadata` is populated.
  const echoRoutes = ports.echoUpstream
    ? [
        {
          match: { prefix: '/echo' },
          route: { cluster: 'echo' },
          request_headers_to_add: [
            { header: { key: 'x-verified-sub', value: '%DYNAMIC_METADATA(envoy.filters.http.jwt_authn:jwt_payload:sub)%' } },
          ],
        },
      ]
    : [];
  const echoClusters = ports.echoUpstream
    ? [
        {
          name: 'echo',
          type: 'STATIC',
          connect_timeout: { seconds: 2 },
          load_assignment: { cluster_name: 'echo', endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(ports.echoUpstream) } }] }] },
        },
      ]
    : [];
  const bootstrap = {
    admin: { address: socket(ports.admin) },
    static_resources: {
      clusters: [...jwt.clusters, ...echoClusters],
      listeners: [
        {
          name: 'jwt_test',
          address: socket(ports.listener),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'jwt_test',
                    ...(options.localReplyMappers ? { local_reply_config: { mappers: options.localReplyMappers } } : {}),
                    route_config: {
                      name: 'direct',
                      virtual_hosts: [
                        {
                          name: 'all',
                          domains: ['*'],
                          routes: [
                            ...echoRoutes,
                            { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'passed' } } },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      jwt.httpFilter,
                      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
  const file = path.join(dir, 'bootstrap.pb');
  fs.writeFileSync(file, bootstrapType.serialize(bootstrap));
  return file;
}
