/**
 * Masking: finds PII and secrets in text and masks, tokenizes, redacts, blocks or holds them for
 * approval, inline on the request path. Compile rules once with `createMaskingEngine`, then call
 * `scanEmbeddingsInput` (a whole OpenAI `input`) or `engine.scan` (one string) per request: both are
 * synchronous, do no I/O, and return findings without values.
 */
export {
  createMaskingEngine,
  MaskingLimitError,
  type MaskingEngine,
  type MaskingEngineOptions,
  type MaskingLimitReason,
} from './engine.ts';
export {
  decodeTokenIds,
  encodingNameForModel,
  preloadTokenizer,
  scanEmbeddingsInput,
  type EmbeddingsInput,
  type InputFinding,
  type InputScanResult,
} from './inputs.ts';
export {
  checkMaskingRules,
  DEFAULT_MASKING_RULES,
  MaskingRulesError,
  rulesTokenize,
  unsafeRegexReason,
  type MaskingRulesProblem,
} from './rules.ts';
export { findSecrets, type SecretSpan } from './secrets.ts';
export { TokenKeyError, TOKEN_CHARS } from './tokenize.ts';
export { maskingRulesFromPolicies, type MaskingPolicyInput } from './from-policy.ts';
export {
  actionRank,
  BUILTIN_ENTITY_TYPES,
  MASKING_ACTIONS,
  SECRET_ENTITY_TYPES,
  type BuiltinEntityType,
  type CustomPattern,
  type DenyList,
  type Finding,
  type MaskingAction,
  type MaskingDecision,
  type MaskingLimits,
  type MaskingOutcome,
  type MaskingRule,
  type MaskingRules,
  type ScanResult,
  type ScanScope,
  type TokenKey,
} from './types.ts';

import { BUILTIN_ENTITY_TYPES } from './types.ts';

/** The built-in entity type names, for policy validation (`ContentChecks.entityTypes`). */
export const ENTITY_TYPES: ReadonlySet<string> = new Set<string>(BUILTIN_ENTITY_TYPES);
