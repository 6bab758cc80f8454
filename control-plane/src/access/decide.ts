import type { Clock } from '../clock/index.ts';
import { GatewayError } from '../errors/index.ts';
import { inTimeWindow } from './time-window.ts';
import type { AccessDecision, AccessQuery, AccessRule, GrantWindow, ShadowOutcome } from './types.ts';

/** `'*'` matches anything, `'prefix*'` by prefix, anything else exactly. */
function matchesPattern(patterns: readonly string[], value: string | undefined): boolean {
  if (value === undefined) return patterns.includes('*');
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value,
  );
}

function ruleMatches(rule: AccessRule, query: AccessQuery, now: number): boolean {
  const { identity } = query;
  if (rule.subjects && !matchesPattern(rule.subjects, identity.subject)) return false;
  if (rule.groups) {
    const groups = rule.groups;
    if (!groups.includes('*') && !identity.groups.some((group) => matchesPattern(groups, group))) return false;
  }
  if (rule.clients && !matchesPattern(rule.clients, identity.clientId)) return false;
  if (!matchesPattern(rule.models, query.model)) return false;
  if (!matchesPattern(rule.endpoints, query.endpoint)) return false;
  return rule.timeWindows.length === 0 || rule.timeWindows.some((window) => inTimeWindow(window, now));
}

/** Deny overrides allow; no match means no verdict from rules (the caller applies default deny). */
function verdict(matched: readonly AccessRule[]): { effect: 'allow' | 'deny'; ruleId: string } | undefined {
  const deny = matched.find((rule) => rule.effect === 'deny');
  if (deny) return { effect: 'deny', ruleId: deny.id };
  const allow = matched.find((rule) => rule.effect === 'allow');
  return allow ? { effect: 'allow', ruleId: allow.id } : undefined;
}

function activeGrant(grants: readonly GrantWindow[], query: AccessQuery, now: number): GrantWindow | undefined {
  return grants.find(
    (grant) =>
      grant.subject === query.identity.subject &&
      now >= grant.activeFrom &&
      now < grant.activeUntil &&
      matchesPattern(grant.models, query.model) &&
      matchesPattern(grant.endpoints, query.endpoint),
  );
}

function shadowOutcome(matched: readonly AccessRule[], grant: GrantWindow | undefined): ShadowOutcome | null {
  const shadowMatched = matched.filter((rule) => rule.mode === 'shadow');
  if (shadowMatched.length === 0) return null;
  const would = verdict(matched);
  const wouldAllow = would ? would.effect === 'allow' : grant !== undefined;
  return { matchedRuleIds: shadowMatched.map((rule) => rule.id), wouldAllow, wouldRuleId: would?.ruleId ?? null };
}

/**
 * Decides one request: enforced deny rules override everything, then an enforced allow rule or an
 * active JIT grant allows, otherwise default deny. `mode: shadow` rules are evaluated and reported
 * in `shadow` but never change the outcome. Pure: time comes from `clock`, grants from the caller
 * (the grant store's in-memory view, so no I/O happens here).
 */
export function decideAccess(
  rules: readonly AccessRule[],
  query: AccessQuery,
  options: { clock: Clock; grants?: readonly GrantWindow[] },
): AccessDecision {
  const now = options.clock.now();
  const matched = rules.filter((rule) => ruleMatches(rule, query, now));
  const grant = activeGrant(options.grants ?? [], query, now);
  const shadow = shadowOutcome(matched, grant);
  const enforced = verdict(matched.filter((rule) => rule.mode !== 'shadow'));
  if (enforced?.effect === 'deny') return { allowed: false, basis: 'rule', ruleId: enforced.ruleId, shadow };
  if (enforced?.effect === 'allow') return { allowed: true, basis: 'rule', ruleId: enforced.ruleId, shadow };
  if (grant) return { allowed: true, basis: 'grant', grantId: grant.id, validUntil: grant.activeUntil, shadow };
  return { allowed: false, basis: 'default', shadow };
}

/** Rule id reported when nothing allowed the request. */
export const DEFAULT_DENY_RULE_ID = 'default-deny';

/**
 * The client-facing 403 for a refusal: `access_denied`, naming the rule id and nothing else of the
 * policy (no groups, no other rules).
 */
export function accessDeniedError(decision: Extract<AccessDecision, { allowed: false }>): GatewayError {
  const ruleId = decision.basis === 'rule' ? decision.ruleId : DEFAULT_DENY_RULE_ID;
  return new GatewayError('access_denied', { detail: `(rule: ${ruleId})` });
}
