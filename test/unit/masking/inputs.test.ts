import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import {
  createMaskingEngine,
  decodeTokenIds,
  DEFAULT_MASKING_RULES,
  encodingNameForModel,
  scanEmbeddingsInput,
} from '../../../control-plane/src/masking/index.ts';

const engine = createMaskingEngine();
const cl100k = getEncoding('cl100k_base');
const CANARY_EMAIL = 'canary.7f3a@example.com';

describe('token-id inputs', () => {
  it('maps embedding models to their encoding, cl100k_base by default', () => {
    expect(encodingNameForModel('text-embedding-3-small')).toBe('cl100k_base');
    expect(encodingNameForModel('text-embedding-ada-002')).toBe('cl100k_base');
    expect(encodingNameForModel('some-local-model')).toBe('cl100k_base');
    expect(encodingNameForModel(undefined)).toBe('cl100k_base');
  });

  it('decodes token ids and refuses ids the tokenizer does not know', () => {
    expect(decodeTokenIds(cl100k.encode('hello world'))).toBe('hello world');
    expect(() => decodeTokenIds([1, 100256])).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    expect(() => decodeTokenIds([1.5])).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    expect(() => decodeTokenIds([-1])).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('turns a number[] holding PII into the masked string', () => {
    const result = scanEmbeddingsInput(engine, cl100k.encode(`write to ${CANARY_EMAIL} today`), { model: 'text-embedding-3-small' });
    expect(result).toMatchObject({ input: 'write to <EMAIL_ADDRESS> today', changed: true, decodedTokens: true, outcome: 'masked' });
    expect(result.findings).toMatchObject([{ type: 'EMAIL_ADDRESS', index: 0 }]);
  });

  it('passes clean token ids through unchanged', () => {
    const ids = cl100k.encode('the quarterly report');
    const result = scanEmbeddingsInput(engine, ids);
    expect(result.input).toBe(ids);
    expect(result.changed).toBe(false);
    expect(result.maskedTexts).toEqual(['the quarterly report']);
  });

  it('turns number[][] into string[] when any item needs masking (OpenAI accepts no mix)', () => {
    const input = [cl100k.encode('clean text'), cl100k.encode(`card 4111 1111 1111 1111`)];
    const result = scanEmbeddingsInput(engine, input);
    expect(result.input).toEqual(['clean text', 'card <CREDIT_CARD>']);
    expect(result.findings).toMatchObject([{ type: 'CREDIT_CARD', index: 1 }]);
  });

  it('refuses token ids when policy says tokenInputs: refuse', () => {
    const refusing = createMaskingEngine({ ...DEFAULT_MASKING_RULES, tokenInputs: 'refuse' });
    expect(() => scanEmbeddingsInput(refusing, [1, 2, 3])).toThrow(expect.objectContaining({ code: 'token_input_refused' }));
    expect(scanEmbeddingsInput(refusing, 'plain text').outcome).toBe('pass');
  });
});

describe('scanEmbeddingsInput over strings', () => {
  it('masks every string of an array and aggregates findings with item indexes', () => {
    const result = scanEmbeddingsInput(engine, ['no pii', `mail ${CANARY_EMAIL}`, 'ssn 536-90-4399']);
    expect(result.input).toEqual(['no pii', 'mail <EMAIL_ADDRESS>', 'ssn <US_SSN>']);
    expect(result.findings.map((f) => [f.index, f.type])).toEqual([
      [1, 'EMAIL_ADDRESS'],
      [2, 'US_SSN'],
    ]);
  });

  it('reports the strictest outcome across items and its deciding rule', () => {
    const e = createMaskingEngine({ ...DEFAULT_MASKING_RULES, rules: [{ id: 'block-keys', entityTypes: ['AWS_ACCESS_KEY'], action: 'block' }] });
    const result = scanEmbeddingsInput(e, ['mail a@example.com', 'AKIAIOSFODNN7EXAMPLE']);
    expect(result.outcome).toBe('block');
    expect(result.decision).toEqual({ ruleId: 'block-keys', entityType: 'AWS_ACCESS_KEY' });
  });

  it('applies the size cap to the whole request, not per item', () => {
    const e = createMaskingEngine({ ...DEFAULT_MASKING_RULES, limits: { maxInputChars: 10, timeBudgetMs: 1000 } });
    expect(() => scanEmbeddingsInput(e, ['123456', '123456'])).toThrow(expect.objectContaining({ reason: 'input_too_large' }));
  });

  it.each([[[]], [[1, 'a']], [[[]]], [42], [null]])('rejects the malformed input %j', (input) => {
    expect(() => scanEmbeddingsInput(engine, input as never)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});
