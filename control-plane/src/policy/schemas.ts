import { MAX_VERIFIED_TOKEN_CACHE_SIZE } from '../identity/index.ts';
import type { PolicyKind } from './types.ts';

/**
 * JSON Schemas (draft-07, as ajv 8 defaults) for each `embguard.io/v1` kind. Closed objects
 * (`additionalProperties: false`) so a typo is an error at its line instead of a silently ignored key.
 */
type Schema = Record<string, unknown>;

const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const RULE_ID_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,62}$';
const ENTITY_PATTERN = '^[A-Z][A-Z0-9_]{1,63}$';
/** Durations like `30s`, `15m`, `8h`, `30d`, `1y`; `duration.ts` converts them. */
export const DURATION_PATTERN = '^[1-9][0-9]{0,5}(s|m|h|d|y)$';

const str = (extra: Schema = {}): Schema => ({ type: 'string', minLength: 1, ...extra });
const int = (minimum: number, maximum: number): Schema => ({ type: 'integer', minimum, maximum });
const list = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, uniqueItems: true, ...extra });
const names = (extra: Schema = {}): Schema => list(str({ maxLength: 256 }), extra);
const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
const mode: Schema = { enum: ['enforce', 'shadow'] };
const duration: Schema = str({ pattern: DURATION_PATTERN });
const credentialRef: Schema = obj(
  {
    ref: str({ pattern: '^(env:[A-Z_][A-Z0-9_]*|file:[^\\s]+)$' }),
    header: str({ pattern: '^[A-Za-z0-9-]+$' }),
    format: str({ pattern: '\\{value\\}' }),
  },
  ['ref', 'header', 'format'],
);
const limits: Schema = obj({ maxBodyBytes: int(1, 64 * 1024 * 1024), maxBatchInputs: int(1, 100_000) });
const maskingAction: Schema = { enum: ['allow', 'mask', 'tokenize', 'redact', 'require_approval', 'block'] };

const gateway: Schema = obj(
  {
    listener: obj({ address: { enum: ['127.0.0.1', '0.0.0.0', '::1', '::'] }, port: int(1, 65535) }),
    upstreams: {
      type: 'array',
      minItems: 1,
      items: obj(
        {
          name: str({ pattern: NAME_PATTERN }),
          url: str({ format: 'uri', pattern: '^https?://' }),
          flavour: { enum: ['openai', 'azure-openai', 'cohere', 'ollama', 'tei'] },
          models: names({ minItems: 1 }),
          credential: credentialRef,
          tls: obj({
            sni: str({ maxLength: 253, pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' }),
            caFile: str({ pattern: '^/' }),
            minVersion: { enum: ['TLSv1_2', 'TLSv1_3'] },
          }),
          allowInsecureHttp: { type: 'boolean' },
          limits,
          timeoutMs: int(100, 300_000),
        },
        ['name', 'url', 'flavour', 'models'],
      ),
    },
    limits: { ...limits, required: ['maxBodyBytes', 'maxBatchInputs'] },
  },
  ['upstreams', 'limits'],
);

const identityProvider: Schema = obj(
  {
    issuer: str({ format: 'uri', pattern: '^https?://' }),
    audiences: names({ minItems: 1 }),
    jwks: {
      oneOf: [
        obj({ uri: str({ format: 'uri', pattern: '^https?://' }) }, ['uri']),
        obj({ inline: obj({ keys: { type: 'array', minItems: 1, items: { type: 'object' } } }, ['keys']) }, ['inline']),
      ],
    },
    claims: obj({ subject: str(), groups: str(), clientId: str() }),
    groups: names(),
    clockSkewSeconds: int(0, 300),
    verifiedTokenCacheSize: int(0, MAX_VERIFIED_TOKEN_CACHE_SIZE),
  },
  ['issuer', 'audiences', 'jwks', 'groups'],
);

const timeWindow: Schema = obj(
  {
    days: list({ enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }, { minItems: 1 }),
    start: str({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
    end: str({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$' }),
    timezone: str(),
  },
  ['days', 'start', 'end', 'timezone'],
);

const accessPolicy: Schema = obj(
  {
    mode,
    rules: {
      type: 'array',
      minItems: 1,
      items: obj(
        {
          id: str({ pattern: RULE_ID_PATTERN }),
          effect: { enum: ['allow', 'deny'] },
          subjects: names({ minItems: 1 }),
          groups: names({ minItems: 1 }),
          clients: names({ minItems: 1 }),
          models: names({ minItems: 1 }),
          endpoints: list({ enum: ['/v1/embeddings', '/v1/models'] }, { minItems: 1 }),
          timeWindows: { type: 'array', minItems: 1, items: timeWindow },
          mode,
          description: str(),
        },
        ['id', 'effect', 'models'],
        { anyOf: [{ required: ['subjects'] }, { required: ['groups'] }, { required: ['clients'] }] },
      ),
    },
  },
  ['mode', 'rules'],
);

const maskingPolicy: Schema = obj(
  {
    mode,
    defaultAction: maskingAction,
    rules: {
      type: 'array',
      items: obj(
        {
          id: str({ pattern: RULE_ID_PATTERN }),
          entities: list(str({ pattern: '^([A-Z][A-Z0-9_]{1,63}|\\*)$' }), { minItems: 1 }),
          action: maskingAction,
          scope: obj({ models: names({ minItems: 1 }), groups: names({ minItems: 1 }) }),
          mode,
        },
        ['id', 'entities', 'action'],
      ),
    },
    customPatterns: {
      type: 'array',
      items: obj(
        {
          name: str({ pattern: ENTITY_PATTERN }),
          regex: str({ maxLength: 1024 }),
          flags: { type: 'string', pattern: '^[imsu]*$' },
          contextWords: names({ minItems: 1 }),
        },
        ['name', 'regex'],
      ),
    },
    denyLists: {
      type: 'array',
      items: obj(
        { name: str({ pattern: ENTITY_PATTERN }), terms: names({ minItems: 1 }), caseSensitive: { type: 'boolean' } },
        ['name', 'terms'],
      ),
    },
    personNames: obj({ names: names(), honorifics: { type: 'boolean' } }),
    tokenInputs: { enum: ['decode', 'refuse'] },
    tokenization: obj(
      { keyRef: str({ pattern: '^(env:[A-Z_][A-Z0-9_]*|file:[^\\s]+)$' }), keyVersion: int(1, 1_000_000) },
      ['keyRef', 'keyVersion'],
    ),
    limits: obj({ maxInputChars: int(1, 64 * 1024 * 1024), timeBudgetMs: int(1, 1000) }),
  },
  ['mode', 'rules'],
);

const approvalPolicy: Schema = obj(
  {
    mode,
    runtime: obj(
      {
        rules: {
          type: 'array',
          items: obj(
            {
              id: str({ pattern: RULE_ID_PATTERN }),
              when: obj(
                {
                  models: names({ minItems: 1 }),
                  entities: list(str({ pattern: ENTITY_PATTERN }), { minItems: 1 }),
                  batchSizeOver: int(1, 100_000),
                  groups: names({ minItems: 1 }),
                },
                [],
                { minProperties: 1 },
              ),
              approverGroups: names({ minItems: 1 }),
              quorum: int(1, 10),
              holdTime: duration,
              ticketLifetime: duration,
            },
            ['id', 'when', 'approverGroups', 'quorum', 'ticketLifetime'],
          ),
        },
      },
      ['rules'],
    ),
    change: obj(
      {
        quorum: int(1, 10),
        paths: {
          type: 'array',
          items: obj(
            { pattern: str(), requiredGroups: names({ minItems: 1 }), minApprovals: int(1, 10) },
            ['pattern', 'requiredGroups'],
          ),
        },
        approvers: {
          type: 'array',
          minItems: 1,
          items: obj(
            { github: str({ pattern: '^[A-Za-z0-9-]{1,39}$' }), subject: str(), groups: names({ minItems: 1 }) },
            ['github', 'subject', 'groups'],
          ),
        },
      },
      ['quorum', 'approvers'],
    ),
    access: obj({ approverGroups: names({ minItems: 1 }), quorum: int(1, 10), maxDuration: duration }, ['approverGroups', 'quorum', 'maxDuration']),
  },
  ['mode'],
  { anyOf: [{ required: ['runtime'] }, { required: ['change'] }, { required: ['access'] }] },
);

const accessGrant: Schema = obj(
  {
    subject: str(),
    models: names({ minItems: 1 }),
    endpoints: list({ enum: ['/v1/embeddings', '/v1/models'] }, { minItems: 1 }),
    notBefore: str({ format: 'date-time' }),
    expiresAt: str({ format: 'date-time' }),
    duration,
    reason: str({ minLength: 10 }),
    ticket: str(),
  },
  ['subject', 'models', 'notBefore', 'reason'],
  { oneOf: [{ required: ['expiresAt'] }, { required: ['duration'] }] },
);

const retentionPolicy: Schema = obj(
  {
    audit: obj(
      { keepMetadataFor: duration, storeMaskedContent: { type: 'boolean' }, keepMaskedContentFor: duration },
      ['keepMetadataFor', 'storeMaskedContent'],
    ),
    forwarding: {
      type: 'array',
      items: obj(
        {
          name: str({ pattern: NAME_PATTERN }),
          type: { enum: ['http', 'file'] },
          url: str({ format: 'uri', pattern: '^https?://' }),
          path: str(),
          credential: credentialRef,
        },
        ['name', 'type'],
        { oneOf: [{ required: ['url'] }, { required: ['path'] }] },
      ),
    },
  },
  ['audit'],
);

const SPEC_SCHEMAS: Record<PolicyKind, Schema> = {
  Gateway: gateway,
  IdentityProvider: identityProvider,
  AccessPolicy: accessPolicy,
  MaskingPolicy: maskingPolicy,
  ApprovalPolicy: approvalPolicy,
  AccessGrant: accessGrant,
  RetentionPolicy: retentionPolicy,
};

/** The full document schema for one (apiVersion, kind). */
export function documentSchema(kind: PolicyKind): Schema {
  return obj(
    {
      apiVersion: { const: 'embguard.io/v1' },
      kind: { const: kind },
      metadata: obj(
        {
          name: str({ pattern: NAME_PATTERN }),
          description: str({ maxLength: 1024 }),
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
        ['name'],
      ),
      spec: SPEC_SCHEMAS[kind],
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  );
}
