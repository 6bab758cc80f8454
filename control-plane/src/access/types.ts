import type { Identity } from '../identity/index.ts';
import type { CompiledAccessRule, CompiledTimeWindow, PolicyMode } from '../policy/index.ts';

export type AccessMode = PolicyMode;

/**
 * A time window in minutes of the day (the policy compiler's form of `days` + `HH:MM` ranges):
 * `days` uses 0 = Sunday … 6 = Saturday and names the day the window STARTS on.
 */
export type AccessTimeWindow = CompiledTimeWindow;

/**
 * One access rule: `compiledPolicy.access.rules` as is. `null` = the dimension is not a
 * condition; `'*'` = any value; a value ending in `*` matches by prefix.
 */
export type AccessRule = CompiledAccessRule;

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
