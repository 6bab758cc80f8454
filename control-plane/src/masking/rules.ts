import safeRegex from 'safe-regex2';
import {
  BUILTIN_ENTITY_TYPES,
  MASKING_ACTIONS,
  actionRank,
  type MaskingAction,
  type MaskingRule,
  type MaskingRules,
  type ScanScope,
} from './types.ts';

/** Every type masked, token inputs decoded and scanned: what runs when no policy is given. */
export const DEFAULT_MASKING_RULES: MaskingRules = deepFreeze({
  rules: [{ id: 'default-mask-all', entityTypes: '*', action: 'mask' }],
  customPatterns: [],
  denyLists: [],
  personNames: [],
  personHeuristics: true,
  defaultAction: 'mask',
  tokenInputs: 'decode',
  limits: { maxInputChars: 1_000_000, timeBudgetMs: 250 },
});

/** A problem in a `MaskingRules` value, with the JSON path of the field. */
export interface MaskingRulesProblem {
  readonly path: string;
  readonly message: string;
}

/** Thrown by `createMaskingEngine` for invalid rules; lists every problem. Never holds request content. */
export class MaskingRulesError extends Error {
  readonly problems: readonly MaskingRulesProblem[];

  constructor(problems: readonly MaskingRulesProblem[]) {
    super(`invalid masking rules: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'MaskingRulesError';
    this.problems = problems;
  }
}

const ENTITY_TYPE = /^[A-Z][A-Z0-9_]{1,63}$/;
const ALLOWED_FLAGS = /^[imsu]*$/;

/**
 * Why a customer regex may not run on the request path, or `undefined` when it may: it must compile
 * with the given flags (a subset of `imsu`), not match the empty string, and pass safe-regex2's
 * star-height check against catastrophic backtracking.
 */
export function unsafeRegexReason(source: string, flags = ''): string | undefined {
  if (!ALLOWED_FLAGS.test(flags)) return `flags must be a subset of "imsu", got "${flags}"`;
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (err) {
    return `does not compile: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (regex.test('')) return 'matches the empty string';
  if (!safeRegex(regex)) return 'may backtrack catastrophically (nested or adjacent unbounded quantifiers)';
  return undefined;
}

function isAction(value: unknown): value is MaskingAction {
  return typeof value === 'string' && (MASKING_ACTIONS as readonly string[]).includes(value);
}

function ruleProblems(rules: MaskingRules): MaskingRulesProblem[] {
  const problems: MaskingRulesProblem[] = [];
  const ids = new Set<string>();
  rules.rules.forEach((rule, i) => {
    if (ids.has(rule.id)) problems.push({ path: `rules[${i}].id`, message: `duplicate rule id "${rule.id}"` });
    ids.add(rule.id);
    if (!isAction(rule.action)) problems.push({ path: `rules[${i}].action`, message: 'unknown action' });
    if (rule.entityTypes !== '*') {
      rule.entityTypes.forEach((type, j) => {
        if (!ENTITY_TYPE.test(type)) problems.push({ path: `rules[${i}].entityTypes[${j}]`, message: 'not an entity type name' });
      });
    }
  });
  if (!isAction(rules.defaultAction)) problems.push({ path: 'defaultAction', message: 'unknown action' });
  if (rules.tokenInputs !== 'decode' && rules.tokenInputs !== 'refuse') problems.push({ path: 'tokenInputs', message: 'must be decode or refuse' });
  if (!(rules.limits.maxInputChars > 0)) problems.push({ path: 'limits.maxInputChars', message: 'must be positive' });
  if (!(rules.limits.timeBudgetMs > 0)) problems.push({ path: 'limits.timeBudgetMs', message: 'must be positive' });
  return problems;
}

function patternProblems(rules: MaskingRules): MaskingRulesProblem[] {
  const problems: MaskingRulesProblem[] = [];
  rules.customPatterns.forEach((p, i) => {
    if (!ENTITY_TYPE.test(p.entityType)) problems.push({ path: `customPatterns[${i}].entityType`, message: 'not an entity type name' });
    const reason = unsafeRegexReason(p.pattern, p.flags);
    if (reason) problems.push({ path: `customPatterns[${i}].pattern`, message: reason });
  });
  rules.denyLists.forEach((d, i) => {
    if (!ENTITY_TYPE.test(d.entityType)) problems.push({ path: `denyLists[${i}].entityType`, message: 'not an entity type name' });
    if (d.terms.some((t) => t.trim() === '')) problems.push({ path: `denyLists[${i}].terms`, message: 'empty term' });
  });
  return problems;
}

/** Checks rules, throwing `MaskingRulesError` with every problem; returns a deep-frozen copy. */
export function checkMaskingRules(rules: MaskingRules): MaskingRules {
  const problems = [...ruleProblems(rules), ...patternProblems(rules)];
  if (problems.length > 0) throw new MaskingRulesError(problems);
  return deepFreeze(structuredClone(rules));
}

/** The action for one entity type in one scope, and the rule that set it. */
export interface TypeDecision {
  readonly action: MaskingAction;
  readonly ruleId: string;
  /** `actionRank(action)`, computed once: overlap resolution compares decisions for every candidate. */
  readonly rank: number;
}

function decision(action: MaskingAction, ruleId: string): TypeDecision {
  return { action, ruleId, rank: actionRank(action) };
}

function ruleInScope(rule: MaskingRule, scope: ScanScope): boolean {
  if (rule.models && !(scope.model !== undefined && rule.models.includes(scope.model))) return false;
  if (rule.groups && !(scope.groups ?? []).some((g) => rule.groups!.includes(g))) return false;
  return true;
}

function stricter(current: TypeDecision | undefined, rule: MaskingRule): TypeDecision {
  return current && current.rank >= actionRank(rule.action) ? current : decision(rule.action, rule.id);
}

/**
 * Resolves the actions of one scope: a rule naming a type beats `'*'` rules; among rules of the
 * same kind the strictest action wins; types no rule covers get the default action.
 */
export function resolveScope(rules: MaskingRules, scope: ScanScope): (type: string) => TypeDecision {
  const explicit = new Map<string, TypeDecision>();
  let wildcard: TypeDecision | undefined;
  for (const rule of rules.rules) {
    if (!ruleInScope(rule, scope)) continue;
    if (rule.entityTypes === '*') wildcard = stricter(wildcard, rule);
    else for (const type of rule.entityTypes) explicit.set(type, stricter(explicit.get(type), rule));
  }
  const fallback: TypeDecision = wildcard ?? decision(rules.defaultAction, 'default');
  return (type) => explicit.get(type) ?? fallback;
}

/** Whether any rule (or the default) tokenizes, so the engine needs a token key. */
export function rulesTokenize(rules: MaskingRules): boolean {
  return rules.defaultAction === 'tokenize' || rules.rules.some((r) => r.action === 'tokenize');
}

/** Every entity type these rules can produce: the built-ins plus custom patterns and deny lists. */
export function entityTypesOf(rules: MaskingRules): ReadonlySet<string> {
  return new Set<string>([
    ...BUILTIN_ENTITY_TYPES,
    ...rules.customPatterns.map((p) => p.entityType),
    ...rules.denyLists.map((d) => d.entityType),
  ]);
}

/** Freezes a plain-data value and everything it holds. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
