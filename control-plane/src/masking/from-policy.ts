import { DEFAULT_MASKING_RULES } from './rules.ts';
import { actionRank, type MaskingAction, type MaskingRule, type MaskingRules } from './types.ts';

/**
 * The `spec` of one `MaskingPolicy` document, structurally (the policy capability owns the schema;
 * this is the part the engine needs, so masking does not depend on the policy module).
 */
export interface MaskingPolicyInput {
  readonly mode?: 'enforce' | 'shadow';
  readonly defaultAction?: MaskingAction;
  readonly rules: readonly {
    readonly id: string;
    readonly entities: readonly string[];
    readonly action: MaskingAction;
    readonly scope?: { readonly models?: readonly string[]; readonly groups?: readonly string[] };
    readonly mode?: 'enforce' | 'shadow';
  }[];
  readonly customPatterns?: readonly { readonly name: string; readonly regex: string; readonly flags?: string; readonly contextWords?: readonly string[] }[];
  readonly denyLists?: readonly { readonly name: string; readonly terms: readonly string[]; readonly caseSensitive?: boolean }[];
  readonly personNames?: { readonly names?: readonly string[]; readonly honorifics?: boolean };
  readonly tokenInputs?: 'decode' | 'refuse';
}

/** `'*'` and `ALL` in `entities` mean every type. */
function entityTypesOf(entities: readonly string[]): readonly string[] | '*' {
  return entities.some((e) => e === '*' || e === 'ALL') ? '*' : [...entities];
}

function ruleOf(rule: MaskingPolicyInput['rules'][number]): MaskingRule {
  return {
    id: rule.id,
    entityTypes: entityTypesOf(rule.entities),
    action: rule.action,
    ...(rule.scope?.models ? { models: [...rule.scope.models] } : {}),
    ...(rule.scope?.groups ? { groups: [...rule.scope.groups] } : {}),
  };
}

function strictest(actions: readonly MaskingAction[], fallback: MaskingAction): MaskingAction {
  return actions.reduce((a, b) => (actionRank(b) > actionRank(a) ? b : a), actions[0] ?? fallback);
}

/**
 * Merges `MaskingPolicy` specs into runtime `MaskingRules` (a stand-in until the policy compiler
 * produces them): rules are concatenated, except rules in `shadow` mode (not enforced); the
 * strictest default action wins; any `refuse` of token inputs wins; names and lists are unioned.
 * The result still goes through `createMaskingEngine`'s checks.
 */
export function maskingRulesFromPolicies(specs: readonly MaskingPolicyInput[], limits = DEFAULT_MASKING_RULES.limits): MaskingRules {
  const enforced = specs.filter((s) => s.mode !== 'shadow');
  return {
    rules: enforced.flatMap((s) => s.rules.filter((r) => r.mode !== 'shadow').map(ruleOf)),
    customPatterns: enforced.flatMap((s) =>
      (s.customPatterns ?? []).map((p) => ({
        id: `pattern:${p.name}`,
        entityType: p.name,
        pattern: p.regex,
        ...(p.flags ? { flags: p.flags } : {}),
        ...(p.contextWords ? { contextWords: [...p.contextWords] } : {}),
      })),
    ),
    denyLists: enforced.flatMap((s) =>
      (s.denyLists ?? []).map((d) => ({ id: `deny-list:${d.name}`, entityType: d.name, terms: [...d.terms], caseSensitive: d.caseSensitive ?? false })),
    ),
    personNames: [...new Set(enforced.flatMap((s) => s.personNames?.names ?? []))],
    personHeuristics: enforced.length === 0 || enforced.some((s) => s.personNames?.honorifics ?? true),
    defaultAction: strictest(enforced.flatMap((s) => (s.defaultAction ? [s.defaultAction] : [])), DEFAULT_MASKING_RULES.defaultAction),
    tokenInputs: enforced.some((s) => s.tokenInputs === 'refuse') ? 'refuse' : 'decode',
    limits,
  };
}
