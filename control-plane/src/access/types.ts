import type { Identity } from '../identity/index.ts';

export type AccessMode = 'enforce' | 'shadow';

/**
 * A time window in minutes of the day, the compiled form of `days` + `HH:MM` ranges. `days` uses
 * 0 = Sunday … 6 = Saturday (like `Date#getDay`) and names the day the window STARTS on.
 */
export interface AccessTimeWindow {
  readonly days: readonly number[];
  readonly startMinute: number;
  /** Exclusive; when not greater than `startMinute` the window crosses midnight. */
  readonly endMinute: number;
  /** IANA zone name or `UTC`. */
  readonly timezone: string;
}

/**
 * One access rule, structurally the policy compiler's `CompiledAccessRule`: pass
 * `compiledPolicy.access.rules` as is. `null` = the dimension is not a condition; `'*'` = any value;
 * a value ending in `*` matches by prefix.
 */
export interface AccessRule {
  readonly id: string;
  readonly policy?: string;
  readonly effect: 'allow' | 'deny';
  readonly subjects: readonly string[] | null;
  readonly groups: readonly string[] | null;
  readonly clients: readonly string[] | null;
  readonly models: readonly string[];
  readonly endpoints: readonly string[];
  /** Empty = at any time. */
  readonly timeWindows: readonly AccessTimeWindow[];
  readonly mode: AccessMode;
}

/** What is being asked for. */
export interface AccessQuery {
  readonly identity: Identity;
  readonly model: string;
  /** Request path, e.g. `/v1/embeddings`. */
  readonly endpoint: string;
}

/** A grant as the decision needs it: who, what, and from when until when (epoch ms, `[from, until)`). */
export interface GrantWindow {
  readonly id: string;
  readonly subject: string;
  readonly models: readonly string[];
  readonly endpoints: readonly string[];
  readonly activeFrom: number;
  readonly activeUntil: number;
}

/** Shadow rules that matched, and what enforcing them would have decided. */
export interface ShadowOutcome {
  readonly matchedRuleIds: readonly string[];
  /** The decision if every shadow rule were enforced. */
  readonly wouldAllow: boolean;
  readonly wouldRuleId: string | null;
}

/**
 * The outcome of one access check. `ruleId` names the deciding rule (shown to the client on a
 * 403); `grantId` the JIT grant that allowed it, with `validUntil` so a held request can be cut
 * off the second the grant ends.
 */
export type AccessDecision =
  | { readonly allowed: true; readonly basis: 'rule'; readonly ruleId: string; readonly shadow: ShadowOutcome | null }
  | {
      readonly allowed: true;
      readonly basis: 'grant';
      readonly grantId: string;
      readonly validUntil: number;
      readonly shadow: ShadowOutcome | null;
    }
  | { readonly allowed: false; readonly basis: 'rule'; readonly ruleId: string; readonly shadow: ShadowOutcome | null }
  | { readonly allowed: false; readonly basis: 'default'; readonly shadow: ShadowOutcome | null };
