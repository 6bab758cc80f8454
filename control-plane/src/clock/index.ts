/**
 * Time source for everything that reads the clock. Production code takes a `Clock` so tests can
 * move time forward instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, like `Date.now()`. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to; for tests of expiry, windows and heartbeats. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  set(to: number | Date): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }
}

/** RFC 3339 UTC timestamp with millisecond precision, the one time format of records and logs. */
export function isoTime(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
