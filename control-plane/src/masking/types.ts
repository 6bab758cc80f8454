const PII_ENTITY_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'IBAN_CODE',
  'IP_ADDRESS',
  'MAC_ADDRESS',
  'URL',
  'CRYPTO',
  'US_SSN',
  'UK_NINO',
  'UK_NHS',
  'DE_TAX_ID',
  'ES_NIF',
  'IN_AADHAAR',
  'CA_SIN',
  'AU_TFN',
  'DATE_OF_BIRTH',
  'PERSON',
] as const;

const SECRET_TYPES = [
  'PRIVATE_KEY',
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'GCP_API_KEY',
  'AZURE_CONNECTION_STRING',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'HUGGINGFACE_TOKEN',
  'GITHUB_TOKEN',
  'GITLAB_TOKEN',
  'NPM_TOKEN',
  'PYPI_TOKEN',
  'SLACK_TOKEN',
  'STRIPE_KEY',
  'TWILIO_API_KEY',
  'SENDGRID_API_KEY',
  'JWT',
  'BEARER_TOKEN',
  'DB_CONNECTION_STRING',
  'GENERIC_SECRET',
] as const;

/** Entity types the engine detects without custom patterns. Names are stable: policy refers to them. */
export const BUILTIN_ENTITY_TYPES = [...PII_ENTITY_TYPES, ...SECRET_TYPES] as const;

export type BuiltinEntityType = (typeof BUILTIN_ENTITY_TYPES)[number];

/** The secret types, which `findSecrets` reports and policy files must not contain. */
export const SECRET_ENTITY_TYPES: ReadonlySet<string> = new Set<string>(SECRET_TYPES);

/** What happens to a finding. Listed from the most lenient to the strictest. */
export const MASKING_ACTIONS = ['allow', 'mask', 'tokenize', 'redact', 'require_approval', 'block'] as const;
export type MaskingAction = (typeof MASKING_ACTIONS)[number];

/** Rank of an action: a higher rank is stricter and wins (block > require_approval > redact > tokenize > mask > allow). */
export function actionRank(action: MaskingAction): number {
  return MASKING_ACTIONS.indexOf(action);
}

/**
 * One masking rule: the action for some entity types, optionally only for some models or caller
 * groups. `'*'` covers every type; a rule naming a type explicitly beats a `'*'` rule.
 */
export interface MaskingRule {
  readonly id: string;
  readonly entityTypes: readonly string[] | '*';
  readonly action: MaskingAction;
  /** Only requests for one of these models (exact names). Absent: every model. */
  readonly models?: readonly string[];
  /** Only callers in at least one of these groups. Absent: every caller. */
  readonly groups?: readonly string[];
}

/** A customer regex for its own entity type; it must pass `unsafeRegexReason` first. */
export interface CustomPattern {
  readonly id: string;
  readonly entityType: string;
  readonly pattern: string;
  /** Subset of `imsu`; `g` is added by the engine. */
  readonly flags?: string;
  /** When given, a match counts only with one of these words (case-insensitive) shortly before it. */
  readonly contextWords?: readonly string[];
}

/** Terms that are always findings of `entityType` (project code names, customer names …). */
export interface DenyList {
  readonly id: string;
  readonly entityType: string;
  readonly terms: readonly string[];
  readonly caseSensitive?: boolean;
}

/** Limits that make the engine fail closed instead of running long. */
export interface MaskingLimits {
  /** Most UTF-16 code units one request may carry (all `input` items together). */
  readonly maxInputChars: number;
  /** Wall-clock budget for one request's scan, in milliseconds. */
  readonly timeBudgetMs: number;
}

/**
 * The runtime masking rules the policy compiler produces from `MaskingPolicy` documents: plain
 * JSON-serialisable data, frozen by `createMaskingEngine`. Token keys are not part of it.
 */
export interface MaskingRules {
  readonly rules: readonly MaskingRule[];
  readonly customPatterns: readonly CustomPattern[];
  readonly denyLists: readonly DenyList[];
  /** Customer-supplied person names, matched case-insensitively as whole words. */
  readonly personNames: readonly string[];
  /** Whether honorific/greeting heuristics ("Dr. Jane Roe", "Dear Jane") find PERSON. */
  readonly personHeuristics: boolean;
  /** Action for a type no rule covers. */
  readonly defaultAction: MaskingAction;
  /** Token-id inputs: decode with the model's tokenizer and scan, or refuse the request. */
  readonly tokenInputs: 'decode' | 'refuse';
  readonly limits: MaskingLimits;
}

/** A versioned HMAC key for `tokenize`. Secret material: passed to the engine, never part of policy. */
export interface TokenKey {
  readonly version: number;
  readonly key: Buffer;
}

/** Who is asking, for rules scoped by model or group. */
export interface ScanScope {
  readonly model?: string;
  readonly groups?: readonly string[];
}

/** One detected entity. Offsets index the original string (JavaScript UTF-16 offsets). Never the value. */
export interface Finding {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly action: MaskingAction;
  /** The rule that decided the action (`default` when the default action applied). */
  readonly ruleId: string;
}

export type MaskingOutcome = 'pass' | 'masked' | 'block' | 'require_approval';

/** The finding that decided a `block` or `require_approval` outcome. */
export interface MaskingDecision {
  readonly ruleId: string;
  readonly entityType: string;
}

/** The result of scanning one string. */
export interface ScanResult {
  /** The text with every finding replaced (also computed for block/require_approval, for the audit record). */
  readonly masked: string;
  readonly findings: readonly Finding[];
  readonly outcome: MaskingOutcome;
  /** Set for `block` and `require_approval`. */
  readonly decision: MaskingDecision | undefined;
  /** Version of the key tokens were made with, when any finding was tokenized. */
  readonly tokenKeyVersion: number | undefined;
}
