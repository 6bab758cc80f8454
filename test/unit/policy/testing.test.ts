import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../control-plane/src/config/index.ts';
import { compilePolicy, loadPolicyTests, runPolicyTests, validatePolicySet, type PolicyDecider } from '../../../control-plane/src/policy/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';
import { policyTestDecider } from '../../../control-plane/src/runtime/index.ts';
import fs from 'node:fs';

const EXAMPLES = path.join(PROJECT_ROOT, 'policies');
const compiled = compilePolicy(validatePolicySet(EXAMPLES).documents.map((d) => d.document));

describe('policy test runner', () => {
  it('runs the example cases in policies/tests with the decision function the processor runs', async () => {
    const { cases, problems } = loadPolicyTests(path.join(EXAMPLES, 'tests'));
    expect(problems).toEqual([]);
    expect(cases.length).toBeGreaterThan(10);
    const report = await runPolicyTests(compiled, cases, policyTestDecider);
    expect(report.failed.map((f) => `${f.case.name}: ${f.mismatches.join('; ')}`)).toEqual([]);
    expect(report.passed).toBe(cases.length);
  });

  it('reports each mismatch with the case position, and a throwing decider as a failure', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      fs.writeFileSync(
        path.join(dir, 't.yaml'),
        `apiVersion: embguard.io/v1\nkind: PolicyTest\nmetadata: {name: s}\ncases:\n  - name: one\n    time: "2026-01-05T10:00:00Z"\n    claims: {sub: a}\n    request: {model: demo-embed, input: x}\n    expect: {decision: deny, ruleId: r1, findings: [{type: EMAIL_ADDRESS, count: 1}]}\n  - name: two\n    time: "2026-01-05T10:00:00Z"\n    claims: {sub: b}\n    request: {model: demo-embed, input: x}\n    expect: {decision: allow}\n`,
      );
      const { cases } = loadPolicyTests(dir, dir);
      const decide: PolicyDecider = (_c, { claims, request, now }) => {
        if (claims.sub === 'b') throw new Error('boom');
        expect([claims.iss, request.endpoint, now]).toEqual(['http://127.0.0.1:18004', '/v1/embeddings', Date.UTC(2026, 0, 5, 10)]);
        return { decision: 'allow', ruleId: 'r2', findings: [] };
      };
      const report = await runPolicyTests(compiled, cases, decide);
      expect(report.failed.map((f) => [`${f.case.file}:${f.case.line}:${f.case.col}`, f.mismatches])).toEqual([
        ['t.yaml:5:5', ['decision: expected deny, got allow', 'rule: expected r1, got r2', 'findings: expected [{"type":"EMAIL_ADDRESS","count":1}], got []']],
        ['t.yaml:10:5', ['decide threw: boom']],
      ]);
    } finally {
      cleanup();
    }
  });

  it('rejects malformed test files with line:col', () => {
    const { dir, cleanup } = makeTempDir();
    try {
      fs.writeFileSync(path.join(dir, 'bad.yaml'), 'apiVersion: embguard.io/v1\nkind: PolicyTest\nmetadata: {name: s}\ncases:\n  - name: one\n    time: yesterday\n    claims: {}\n    request: {model: m, input: x}\n    expect: {decision: maybe}\n');
      expect(loadPolicyTests(dir, dir).problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)).toEqual([
        'bad.yaml:6:11: cases.0.time: must match format "date-time"',
        'bad.yaml:9:24: cases.0.expect.decision: must be equal to one of the allowed values',
      ]);
    } finally {
      cleanup();
    }
  });
});
