import { Command } from 'commander';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { registerMaskCommands } from '../../../control-plane/src/cli/commands/mask.ts';
import {
  createMaskingEngine,
  ENTITY_TYPES,
  findSecrets,
  maskingRulesFromPolicies,
  unsafeRegexReason,
} from '../../../control-plane/src/masking/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

describe('checks the policy validator reuses', () => {
  it('unsafeRegexReason accepts safe patterns and explains unsafe ones', () => {
    expect(unsafeRegexReason('EMP-\\d{6}', 'i')).toBeUndefined();
    expect(unsafeRegexReason('(a+)+$')).toMatch(/backtrack/);
    expect(unsafeRegexReason('([a-z')).toMatch(/does not compile/);
    expect(unsafeRegexReason('x*')).toMatch(/empty string/);
    expect(unsafeRegexReason('abc', 'g')).toMatch(/flags/);
  });

  it('findSecrets reports secret types with offsets only, and ignores plain PII', () => {
    const text = 'apiKey: AKIAIOSFODNN7EXAMPLE\nowner: jane@example.com';
    const spans = findSecrets(text);
    expect(spans).toEqual([{ type: 'AWS_ACCESS_KEY', start: 8, end: 28 }]);
    expect(Object.keys(spans[0]!)).toEqual(['type', 'start', 'end']);
  });

  it('ENTITY_TYPES lists the built-in types', () => {
    expect(ENTITY_TYPES.has('IBAN_CODE')).toBe(true);
    expect(ENTITY_TYPES.has('GENERIC_SECRET')).toBe(true);
  });
});

describe('maskingRulesFromPolicies', () => {
  it('merges MaskingPolicy specs: shadow rules skipped, strictest default, refuse wins, names unioned', () => {
    const rules = maskingRulesFromPolicies([
      {
        mode: 'enforce',
        defaultAction: 'mask',
        rules: [
          { id: 'block-keys', entities: ['AWS_ACCESS_KEY'], action: 'block', scope: { groups: ['eng'] } },
          { id: 'try-tokenize', entities: ['EMAIL_ADDRESS'], action: 'tokenize', mode: 'shadow' },
        ],
        personNames: { names: ['Ada Lovelace'] },
      },
      {
        mode: 'enforce',
        defaultAction: 'redact',
        rules: [{ id: 'all', entities: ['ALL'], action: 'mask' }],
        tokenInputs: 'refuse',
        customPatterns: [{ name: 'EMPLOYEE_ID', regex: 'E-\\d{6}' }],
      },
      { mode: 'shadow', rules: [{ id: 'ignored', entities: ['URL'], action: 'block' }] },
    ]);
    expect(rules.rules).toEqual([
      { id: 'block-keys', entityTypes: ['AWS_ACCESS_KEY'], action: 'block', groups: ['eng'] },
      { id: 'all', entityTypes: '*', action: 'mask' },
    ]);
    expect(rules.defaultAction).toBe('redact');
    expect(rules.tokenInputs).toBe('refuse');
    expect(rules.personNames).toEqual(['Ada Lovelace']);
    expect(rules.customPatterns).toEqual([{ id: 'pattern:EMPLOYEE_ID', entityType: 'EMPLOYEE_ID', pattern: 'E-\\d{6}' }]);
    expect(createMaskingEngine(rules).scan('ping Ada Lovelace about E-123456').masked).toBe('ping <PERSON> about <EMPLOYEE_ID>');
  });
});

describe('embguard mask', () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
    process.exitCode = undefined;
  });

  async function run(args: string[]): Promise<unknown> {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerMaskCommands(program);
    await program.parseAsync(['node', 'embguard', 'mask', ...args]);
    return JSON.parse(out.join(''));
  }

  it('prints masked text and findings with offsets into the input, never the value', async () => {
    const canary = 'canary.91b2@example.com';
    const result = await run(['--text', `hi ${canary}`]);
    expect(result).toEqual({
      masked: 'hi <EMAIL_ADDRESS>',
      findings: [{ type: 'EMAIL_ADDRESS', start: 3, end: 3 + canary.length, action: 'mask', rule: 'default-mask-all' }],
    });
    expect(out.join('')).not.toContain(canary);
  });

  it('applies a MaskingPolicy from a YAML directory', async () => {
    const { dir, cleanup } = makeTempDir();
    onTestFinished(cleanup);
    fs.writeFileSync(
      path.join(dir, 'masking.yaml'),
      [
        'apiVersion: embguard.dev/v1',
        'kind: MaskingPolicy',
        'metadata: { name: test }',
        'spec:',
        '  mode: enforce',
        '  defaultAction: allow',
        '  rules:',
        '    - { id: block-cards, entities: [CREDIT_CARD], action: block }',
        '---',
        'kind: AccessPolicy',
        'spec: { mode: enforce, rules: [] }',
      ].join('\n'),
    );
    const result = await run(['--policy', dir, '--text', 'card 4111 1111 1111 1111 mail a@example.com']);
    expect(result).toMatchObject({
      masked: 'card <CREDIT_CARD> mail a@example.com',
      findings: [
        { type: 'CREDIT_CARD', action: 'block', rule: 'block-cards' },
        { type: 'EMAIL_ADDRESS', action: 'allow', rule: 'default' },
      ],
    });
  });
});
