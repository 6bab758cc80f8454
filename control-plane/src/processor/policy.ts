import type { AccessRule } from '../access/index.ts';
import type { IdentityProviderSettings } from '../identity/index.ts';
import type { MaskingEngine } from '../masking/index.ts';
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
  /** Issuers whose tokens jwt_authn verified, with the claim names that give subject, groups and client. */
  readonly identityProviders: readonly Pick<IdentityProviderSettings, 'issuer' | 'claims'>[];
  readonly accessRules: readonly AccessRule[];
  /** Compiled once per snapshot: regexes and scopes are ready before the first request. */
  readonly masking: MaskingEngine;
  /** Keep the masked input (erasable, outside the Merkle leaves) with the record (RetentionPolicy). */
  readonly storeMaskedExcerpts: boolean;
  /** The upstream Envoy routes to, and the header its credential goes in (none when it needs none). */
  readonly upstream: { readonly name: string; readonly credentialHeader: string | undefined };
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
