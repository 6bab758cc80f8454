import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, githubAnnotation, validatePolicySet } from '../../../control-plane/src/policy/index.ts';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { testContentChecks } from '../../fixtures/policy/content-checks.ts';

const EXAMPLES = path.join(PROJECT_ROOT, 'policies');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** The example policy set in a temp dir, with some files replaced or added. */
function policyDir(files: Record<string, string> = {}): string {
  const { dir, cleanup } = makeTempDir('embguard-policy-');
  cleanups.push(cleanup);
  for (const name of fs.readdirSync(EXAMPLES)) {
    if (name.endsWith('.yaml')) fs.copyFileSync(path.join(EXAMPLES, name), path.join(dir, name));
  }
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function problems(dir: string): string[] {
  return validatePolicySet(dir, { checks: testContentChecks, cwd: dir }).problems.map(formatProblem);
}

const ACCESS_HEAD = `apiVersion: embguard.io/v1
kind: AccessPolicy
metadata:
  name: extra
spec:
  mode: enforce
  rules:
`;

describe('policy validate', () => {
  it('accepts the example policy set in policies/', () => {
    const result = validatePolicySet(EXAMPLES, { checks: testContentChecks });
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.documents.map((d) => d.document.kind).sort()).toContain('Gateway');
  });

  it('reports invalid YAML at its line and column', () => {
    const dir = policyDir({ 'bad.yaml': 'apiVersion: embguard.io/v1\nkind: [Gateway\nmetadata: {}\n' });
    expect(problems(dir)[0]).toMatch(/^bad\.yaml:3:1: /);
  });

  it('rejects duplicate keys, anchors, aliases and merge keys', () => {
    const dir = policyDir({
      'dup.yaml': `${ACCESS_HEAD}    - id: a\n      id: b\n      effect: allow\n`,
      'alias.yaml': `${ACCESS_HEAD}    - &r\n      id: a\n    - *r\n`,
      'merge.yaml': `${ACCESS_HEAD}    - <<: {id: a}\n      effect: allow\n`,
    });
    const found = problems(dir);
    expect(found).toContain('dup.yaml:9:7: Map keys must be unique');
    expect(found.some((p) => p.startsWith('alias.yaml:9:7: anchor &r is not allowed'))).toBe(true);
    expect(found.some((p) => p.startsWith('alias.yaml:10:7: alias *r is not allowed'))).toBe(true);
    expect(found).toContain('merge.yaml:8:7: merge keys (<<) are not allowed');
  });

  it('points a schema violation at the offending key', () => {
    const dir = policyDir({
      'extra.yaml': `${ACCESS_HEAD}    - id: ok-rule\n      effect: allow\n      groups: [engineering]\n      models: [demo-embed]\n      bogus: 1\n`,
    });
    expect(problems(dir)).toEqual(['extra.yaml:12:7: spec.rules.0: must NOT have additional properties (bogus)']);
  });

  it('names the alternatives when none of subjects/groups/clients is given', () => {
    const dir = policyDir({ 'extra.yaml': `${ACCESS_HEAD}    - id: nobody\n      effect: allow\n      models: [demo-embed]\n` });
    expect(problems(dir)).toEqual(['extra.yaml:8:7: spec.rules.0: needs at least one of: subjects, groups, clients']);
  });

  it('reports an enum violation with the allowed values', () => {
    const dir = policyDir({
      'extra.yaml': `${ACCESS_HEAD}    - id: r\n      effect: permit\n      groups: [engineering]\n      models: [demo-embed]\n`,
    });
    expect(problems(dir)).toEqual(['extra.yaml:9:15: spec.rules.0.effect: must be equal to one of the allowed values (allow, deny)']);
  });

  it('reports unknown kinds and apiVersions at their value', () => {
    const dir = policyDir({
      'kind.yaml': 'apiVersion: embguard.io/v1\nkind: RateLimit\nmetadata: {name: x}\nspec: {}\n',
      'version.yaml': 'apiVersion: embguard.io/v2\nkind: Gateway\nmetadata: {name: x}\nspec: {}\n',
    });
    expect(problems(dir)).toEqual([
      'kind.yaml:2:7: unknown kind "RateLimit": expected one of Gateway, IdentityProvider, AccessPolicy, MaskingPolicy, ApprovalPolicy, AccessGrant, RetentionPolicy',
      'version.yaml:1:13: unknown apiVersion "embguard.io/v2": expected embguard.io/v1',
    ]);
  });

  it('reports dangling references to groups, models and entity types', () => {
    const dir = policyDir({
      'extra.yaml': `${ACCESS_HEAD}    - id: r\n      effect: allow\n      groups: [engineering, finance]\n      models: [demo-embed, gpt-9]\n`,
      'mask.yaml': `apiVersion: embguard.io/v1\nkind: MaskingPolicy\nmetadata: {name: extra}\nspec:\n  mode: enforce\n  rules:\n    - id: x\n      entities: [SHOE_SIZE]\n      action: mask\n`,
    });
    expect(problems(dir)).toEqual([
      'extra.yaml:10:29: unknown group finance',
      'extra.yaml:11:28: unknown model gpt-9',
      'mask.yaml:8:18: unknown entity type SHOE_SIZE',
    ]);
  });

  it('rejects custom regexes that do not compile or can backtrack exponentially', () => {
    const mask = (regex: string): string =>
      `apiVersion: embguard.io/v1\nkind: MaskingPolicy\nmetadata: {name: extra}\nspec:\n  mode: enforce\n  rules: []\n  customPatterns:\n    - name: ORDER\n      regex: '${regex}'\n`;
    expect(problems(policyDir({ 'mask.yaml': mask('(a+)+$') }))).toEqual([
      'mask.yaml:9:14: custom pattern ORDER is unsafe: nested quantifiers can backtrack exponentially',
    ]);
    expect(problems(policyDir({ 'mask.yaml': mask('[a-') }))[0]).toMatch(/^mask\.yaml:9:14: custom pattern ORDER does not compile: /);
  });

  it('rejects a literal secret without echoing it', () => {
    const dir = policyDir({
      'extra.yaml': `${ACCESS_HEAD}    - id: r\n      description: "token CANARY-SECRET-ABCD1234"\n      effect: allow\n      groups: [engineering]\n      models: [demo-embed]\n`,
    });
    const found = problems(dir);
    expect(found).toEqual(['extra.yaml:9:27: literal secret (GENERIC_SECRET) in policy: reference it instead (credential.ref: env:NAME or file:path)']);
    expect(found.join('\n')).not.toContain('CANARY-SECRET-ABCD1234');
  });

  it('finds a literal secret in a comment too', () => {
    const dir = policyDir({ 'extra.yaml': `# old key: CANARY-SECRET-ZZZZ9999\n${ACCESS_HEAD}    - id: r\n      effect: allow\n      groups: [engineering]\n      models: [demo-embed]\n` });
    expect(problems(dir)).toEqual(['extra.yaml:1:12: literal secret (GENERIC_SECRET) in policy: reference it instead (credential.ref: env:NAME or file:path)']);
  });

  it('checks the just-in-time access approval: known groups, a grant no longer than the maximum', () => {
    const dir = policyDir({
      'jit.yaml': `apiVersion: embguard.io/v1
kind: ApprovalPolicy
metadata:
  name: jit
spec:
  mode: enforce
  access:
    approverGroups: [nobody]
    quorum: 1
    maxDuration: 90d
`,
    });
    expect(problems(dir)).toEqual([
      'jit.yaml:8:5: just-in-time access approval is already set in another ApprovalPolicy',
      'jit.yaml:8:22: unknown group nobody',
      'jit.yaml:10:18: 90d is longer than the maximum 30d',
    ]);
  });

  it('allows one RetentionPolicy only', () => {
    const dir = policyDir({ 'retention2.yaml': 'apiVersion: embguard.io/v1\nkind: RetentionPolicy\nmetadata: {name: second}\nspec:\n  audit: {keepMetadataFor: 90d, storeMaskedContent: false}\n' });
    expect(problems(dir)).toEqual(['retention2.yaml:2:7: a second RetentionPolicy document: at most one is allowed']);
  });

  it('rejects private key material in an inline JWKS', () => {
    const dir = policyDir({
      'idp.yaml': `apiVersion: embguard.io/v1\nkind: IdentityProvider\nmetadata: {name: inline}\nspec:\n  issuer: https://idp.example.com\n  audiences: [x]\n  groups: []\n  jwks:\n    inline:\n      keys:\n        - {kty: OKP, crv: Ed25519, x: abc, d: def}\n`,
    });
    expect(problems(dir)).toEqual(['idp.yaml:11:47: inline JWKS key carries private key material (d): publish only public keys']);
  });

  it('checks time windows, durations and contradictory rules', () => {
    const dir = policyDir({
      'extra.yaml': `${ACCESS_HEAD}    - id: night
      effect: allow
      groups: [engineering]
      models: [demo-embed]
      timeWindows:
        - {days: [mon], start: "10:00", end: "10:00", timezone: Mars/Olympus}
    - id: shadowed
      effect: allow
      groups: [contractors]
      models: [demo-embed-large]
    - id: no-contractors
      effect: deny
      groups: [contractors]
      models: ["*"]
`,
      'grant.yaml': `apiVersion: embguard.io/v1\nkind: AccessGrant\nmetadata: {name: long}\nspec:\n  subject: eve@example.com\n  models: [demo-embed]\n  notBefore: "2026-01-01T00:00:00Z"\n  duration: 90d\n  reason: a long evaluation period\n`,
    });
    const contractors = fs.readFileSync(path.join(dir, 'access.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('id: contractors-business-hours')) + 1;
    expect(problems(dir)).toEqual([
      `access.yaml:${contractors}:11: allow rule contractors-business-hours can never apply: deny rule no-contractors always overrides it`,
      'extra.yaml:13:46: start and end are equal: the window is empty',
      'extra.yaml:13:65: unknown time zone Mars/Olympus: use an IANA name or UTC',
      'extra.yaml:14:11: allow rule shadowed can never apply: deny rule no-contractors always overrides it',
      'grant.yaml:8:13: 90d is longer than the maximum 30d',
    ]);
  });

  it('writes GitHub annotations with escaped properties', () => {
    expect(githubAnnotation({ file: 'policies/a,b.yaml', line: 3, col: 5, message: '50% bad\nvalue' })).toBe(
      '::error file=policies/a%2Cb.yaml,line=3,col=5::50%25 bad%0Avalue',
    );
  });
});

describe('policy validate with the masking engine checks', () => {
  const realProblems = (dir: string): string[] => validatePolicySet(dir, { cwd: dir }).problems.map(formatProblem);

  it('accepts the example set', () => {
    expect(validatePolicySet(EXAMPLES).problems.map(formatProblem)).toEqual([]);
  });

  it('rejects a literal cloud key and an exponential regex', () => {
    const canaryKey = ['AKIA', 'Z7CANARY0000TEST'].join('');
    const dir = policyDir({
      'gw2.yaml': `${ACCESS_HEAD}    - id: r\n      description: "key ${canaryKey}"\n      effect: allow\n      groups: [engineering]\n      models: [demo-embed]\n`,
      'mask.yaml': `apiVersion: embguard.io/v1\nkind: MaskingPolicy\nmetadata: {name: extra}\nspec:\n  mode: enforce\n  rules: []\n  customPatterns:\n    - name: ORDER\n      regex: '(a|a)*$'\n`,
    });
    const found = realProblems(dir);
    expect(found[0]).toMatch(/^gw2\.yaml:9:25: literal secret \(AWS_ACCESS_KEY\) in policy/);
    expect(found[1]).toMatch(/^mask\.yaml:9:14: custom pattern ORDER is unsafe: /);
    expect(found.join('\n')).not.toContain(canaryKey);
  });
});
