import type { RequestLimits } from './request.ts';
import type { SnapshotRef } from './record.ts';

/**
 * What the processor enforces, compiled from one signed snapshot. Immutable: a policy change
 * swaps the whole object, and a stream keeps the one it began with.
 */
export interface RuntimePolicy {
  readonly snapshot: SnapshotRef;
  readonly limits: RequestLimits;
  /** Models the gateway serves; a request for another is refused before it goes upstream. */
  readonly models: ReadonlySet<string>;
}

/** The policy in force right now; `undefined` until a valid snapshot was loaded (fail closed). */
export interface PolicySource {
  current(): RuntimePolicy | undefined;
}

/** A `PolicySource` whose value is replaced in one assignment. */
export class SwappablePolicy implements PolicySource {
  #policy: RuntimePolicy | undefined;

  constructor(initial?: RuntimePolicy) {
    this.#policy = initial;
  }

  current(): RuntimePolicy | undefined {
    return this.#policy;
  }

  replace(policy: RuntimePolicy): void {
    this.#policy = Object.freeze(policy);
  }
}
