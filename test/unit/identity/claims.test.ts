import { describe, expect, it } from 'vitest';
import * as protoLoader from '@grpc/proto-loader';
import { identityFromMetadata } from '../../../control-plane/src/identity/index.ts';
import { LOADER_OPTIONS, PROTO_FILES } from '../../../control-plane/src/protos/index.ts';
import type { ProcessingRequest__Output } from '../../../control-plane/src/generated/envoy/service/ext_proc/v3/ProcessingRequest.ts';

const providers = [
  { issuer: 'http://127.0.0.1:18004' },
  { issuer: 'https://login.example.com', claims: { subject: 'email', groups: 'roles', clientId: 'azp' } },
];

/** What proto-loader hands the processor: a google.protobuf.Struct with `fields` and typed values. */
function protoStruct(payload: Record<string, string | string[]>) {
  const value = (v: string | string[]) =>
    Array.isArray(v)
      ? { listValue: { values: v.map((s) => ({ stringValue: s, kind: 'stringValue' })) }, kind: 'listValue' }
      : { stringValue: v, kind: 'stringValue' };
  const fields = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, value(v)]));
  return {
    filter_metadata: {
      'envoy.filters.http.jwt_authn': { fields: { jwt_payload: { structValue: { fields }, kind: 'structValue' } } },
    },
  };
}

describe('identityFromMetadata', () => {
  it('reads subject, groups and client id from the proto-decoded jwt_authn payload', () => {
    const metadata = protoStruct({ iss: 'http://127.0.0.1:18004', sub: 'alice', groups: ['ml-engineers', 'staff'], client_id: 'cli' });
    expect(identityFromMetadata(metadata, providers)).toEqual({
      ok: true,
      identity: { subject: 'alice', groups: ['ml-engineers', 'staff'], clientId: 'cli', issuer: 'http://127.0.0.1:18004' },
    });
  });

  it('uses the claim names of the provider that issued the token', () => {
    const metadata = protoStruct({ iss: 'https://login.example.com', sub: 'ignored', email: 'bob@example.com', roles: 'a b', azp: 'app' });
    expect(identityFromMetadata(metadata, providers)).toMatchObject({
      ok: true,
      identity: { subject: 'bob@example.com', groups: ['a', 'b'], clientId: 'app' },
    });
  });

  it('accepts plain JSON metadata too', () => {
    const metadata = { filter_metadata: { 'envoy.filters.http.jwt_authn': { jwt_payload: { iss: 'http://127.0.0.1:18004', sub: 'carol' } } } };
    expect(identityFromMetadata(metadata, providers)).toMatchObject({ ok: true, identity: { subject: 'carol', groups: [] } });
  });

  it('fails closed without metadata, with an unknown issuer or without a subject', () => {
    expect(identityFromMetadata(undefined, providers)).toEqual({ ok: false, reason: 'no_jwt_metadata' });
    expect(identityFromMetadata({ filter_metadata: {} }, providers)).toEqual({ ok: false, reason: 'no_jwt_metadata' });
    expect(identityFromMetadata(protoStruct({ iss: 'http://evil', sub: 'x' }), providers)).toEqual({ ok: false, reason: 'unknown_issuer' });
    expect(identityFromMetadata(protoStruct({ iss: 'http://127.0.0.1:18004' }), providers)).toEqual({ ok: false, reason: 'missing_subject' });
  });
});

describe('identityFromMetadata on a ProcessingRequest decoded by proto-loader', () => {
  it('reads the payload after a real protobuf round trip (the shape the processor receives)', () => {
    const definition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
    const type = definition['envoy.service.ext_proc.v3.ProcessingRequest'] as protoLoader.MessageTypeDefinition<object, ProcessingRequest__Output>;
    const sent = protoStruct({ iss: 'http://127.0.0.1:18004', sub: 'alice', groups: ['ml-engineers'], client_id: 'cli' });
    const decoded = type.deserialize(type.serialize({ metadata_context: sent }));
    expect(identityFromMetadata(decoded.metadata_context, providers)).toEqual({
      ok: true,
      identity: { subject: 'alice', groups: ['ml-engineers'], clientId: 'cli', issuer: 'http://127.0.0.1:18004' },
    });
  });
});
