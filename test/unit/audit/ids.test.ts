import { describe, expect, it } from 'vitest';
import { uuidV7 } from '../../../control-plane/src/audit/index.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV7 event ids', () => {
  it('carries the clock milliseconds, version 7 and the RFC 9562 variant', () => {
    const nowMs = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = uuidV7(nowMs);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(nowMs);
  });

  it('stays unique and well-formed across many refills of the random pool', () => {
    // 20,000 ids draw 200,000 random bytes: dozens of 4 KiB refills, and ids straddling refills.
    const ids = Array.from({ length: 20_000 }, () => uuidV7(1_700_000_000_000));
    expect(ids.every((id) => UUID_V7.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // The random part must not repeat with the pool's period (a refill that did not happen).
    const randomParts = new Set(ids.map((id) => id.slice(15)));
    expect(randomParts.size).toBe(ids.length);
  });

  it('sorts by time: a later millisecond gives a larger id', () => {
    const earlier = uuidV7(1_700_000_000_000);
    const later = uuidV7(1_700_000_000_001);
    expect(later > earlier).toBe(true);
  });
});
