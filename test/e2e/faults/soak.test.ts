import autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import { processFootprint, type ProcessStack } from '../process-stack.ts';
import { CANARIES, expectAuditVerifies, piiRequest, useProcessStack } from './shared.ts';

/** Length of the measured steady phase; `EMBGUARD_SOAK_SECONDS` lengthens it (at most 120 s) for a local soak. */
const SOAK_SECONDS = Math.min(120, Number(process.env.EMBGUARD_SOAK_SECONDS ?? 30));
const WARMUP_SECONDS = 8;
const RATE = 100;
/** Growth allowed over the steady phase, once warm: a leak per request would exceed both within seconds. */
const MAX_RSS_GROWTH_BYTES = 48 * 1024 * 1024;
const MAX_FD_GROWTH = 16;

type Footprints = Record<string, { rssBytes: number; fds: number }>;

describe('soak: steady load with memory and descriptor growth checked', () => {
  const stack = useProcessStack();

  const footprints = (s: ProcessStack): Footprints => ({
    processor: processFootprint(s.role('processor')?.pid as number),
    'control-plane': processFootprint(s.role('control-plane')?.pid as number),
    envoy: processFootprint(s.envoy.pid),
  });

  const load = async (s: ProcessStack, token: string, seconds: number) =>
    autocannon({
      url: `${s.gatewayUrl}/v1/embeddings`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(piiRequest(1)),
      connections: 8,
      overallRate: RATE,
      duration: seconds,
    });

  it(`serves ${RATE} req/s with PII for ${SOAK_SECONDS} s without errors, leaks of memory or descriptors, or of the canaries`, async () => {
    const s = stack();
    const token = await s.token('bob', ['engineering']);
    await load(s, token, WARMUP_SECONDS);
    const warm = footprints(s);
    const result = await load(s, token, SOAK_SECONDS);
    const end = footprints(s);

    expect(result.errors + result.timeouts).toBe(0);
    expect(result.non2xx, JSON.stringify(result.statusCodeStats)).toBe(0);
    expect(result.requests.total).toBeGreaterThan(RATE * SOAK_SECONDS * 0.8);
    // The Envoy → processor HTTP/2 connection must stay up: a GOAWAY from the processor fails the
    // ext_proc streams in flight (503s), however few happen to be in flight at that moment.
    expect(await s.envoyStat('cluster.embguard_processor.upstream_cx_close_notify'), 'GOAWAYs from the processor').toBe(0);
    for (const name of Object.keys(warm)) {
      const before = warm[name] as { rssBytes: number; fds: number };
      const after = end[name] as { rssBytes: number; fds: number };
      expect(after.fds - before.fds, `${name} descriptors ${before.fds} → ${after.fds}`).toBeLessThanOrEqual(MAX_FD_GROWTH);
      expect(after.rssBytes - before.rssBytes, `${name} RSS ${before.rssBytes} → ${after.rssBytes}`).toBeLessThanOrEqual(MAX_RSS_GROWTH_BYTES);
    }
    for (const request of s.received) for (const canary of CANARIES) expect(request.body).not.toContain(canary);
    await expectAuditVerifies(s);
  }, (SOAK_SECONDS + WARMUP_SECONDS + 40) * 1000);
});
