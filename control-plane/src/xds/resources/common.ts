import type { AnyExtension } from '@grpc/proto-loader';
import type { Duration } from '../../generated/google/protobuf/Duration.ts';
import type { Address } from '../../generated/envoy/config/core/v3/Address.ts';
import { typeUrlOf } from '../type-urls.ts';

/** A `google.protobuf.Any` in proto-loader object form: `@type` plus the message fields. */
export function typed<T extends object>(messageName: string, message: T): AnyExtension & T {
  return { '@type': typeUrlOf(messageName), ...message };
}

/** A `google.protobuf.Duration` from milliseconds. */
export function durationMs(ms: number): Duration {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration must be a non-negative number of ms, got ${ms}`);
  const whole = Math.floor(ms);
  return { seconds: String(Math.floor(whole / 1000)), nanos: (whole % 1000) * 1_000_000 };
}

/** A TCP socket address. */
export function socketAddress(host: string, port: number): Address {
  return { socket_address: { address: host, port_value: port } };
}

/** Whether `host` is an IPv4 or IPv6 literal (STATIC cluster) rather than a DNS name (STRICT_DNS). */
export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}
