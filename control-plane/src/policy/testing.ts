import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { CompiledPolicy } from './compile.ts';
import { parsePolicySource } from './parse.ts';
import type { PolicyProblem } from './types.ts';

/** The outcomes a policy test can expect; the processor's decision composition produces them. */
export const POLICY_TEST_DECISIONS = ['allow', 'deny', 'block', 'require_approval'] as const;
export type PolicyTestDecision = (typeof POLICY_TEST_DECISIONS)[number];

/** The request of one test case, as the processor sees it after parsing. */
export interface PolicyTestRequest {
  /** `/v1/embeddings` when a case leaves it out. */
  endpoint: string;
  model: string;
  /** OpenAI `input`: a string, strings, token ids or arrays of token ids. */
  input: unknown;
}

/** What the decision function reports for one request. */
export interface PolicyTestResult {
  decision: PolicyTestDecision;
  /** The rule that decided (access rule, masking rule or approval rule id). */
  ruleId?: string;
  /** The `input` as it would go upstream. */
  maskedInput?: unknown;
  /** Entity types found, with counts (never values). */
  findings?: { type: string; count: number }[];
}

/**
 * The processor's request decision, injected so `policy test` runs the very code that enforces:
 * claims (as jwt_authn verified them) + request + time → outcome.
 */
export type PolicyDecider = (
  compiled: CompiledPolicy,
  input: {
    /** The verified JWT payload; `iss` is the case's issuer (the first IdentityProvider's by default). */
    claims: Readonly<Record<string, unknown>>;
    request: PolicyTestRequest;
    /** Epoch milliseconds of the case's `time`: the decision's clock. */
    now: number;
  },
) => PolicyTestResult | Promise<PolicyTestResult>;

export interface PolicyTestCase {
  file: string;
  line: number;
  col: number;
  suite: string;
  name: string;
  time: string;
  /** Issuer of the token; the first IdentityProvider's when omitted. */
  issuer?: string;
  claims: Record<string, unknown>;
  request: PolicyTestRequest;
  expect: Partial<PolicyTestResult> & { decision: PolicyTestDecision };
}

export interface PolicyTestFailure {
  case: PolicyTestCase;
  /** One line per expectation that did not hold (values of masked text are shown: tests use canaries). */
  mismatches: string[];
}

export interface PolicyTestReport {
  passed: number;
  failed: PolicyTestFailure[];
}

const addFormats = addFormatsModule.default;

const caseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'time', 'claims', 'request', 'expect'],
  properties: {
    name: { type: 'string', minLength: 1 },
    time: { type: 'string', format: 'date-time' },
    issuer: { type: 'string', minLength: 1 },
    claims: { type: 'object' },
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['model', 'input'],
      properties: { endpoint: { type: 'string', minLength: 1 }, model: { type: 'string', minLength: 1 }, input: {} },
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      required: ['decision'],
      properties: {
        decision: { enum: [...POLICY_TEST_DECISIONS] },
        ruleId: { type: 'string', minLength: 1 },
        maskedInput: {},
        findings: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'count'],
            properties: { type: { type: 'string' }, count: { type: 'integer', minimum: 0 } },
          },
        },
      },
    },
  },
};

const suiteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'cases'],
  properties: {
    apiVersion: { const: 'embguard.io/v1' },
    kind: { const: 'PolicyTest' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, description: { type: 'string' } }, additionalProperties: false },
    cases: { type: 'array', minItems: 1, items: caseSchema },
  },
};

interface SuiteDocument {
  metadata: { name: string };
  cases: Omit<PolicyTestCase, 'file' | 'line' | 'col' | 'suite'>[];
}

let validateSuite: ValidateFunction<SuiteDocument> | undefined;

function suiteValidator(): ValidateFunction<SuiteDocument> {
  if (!validateSuite) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    validateSuite = ajv.compile<SuiteDocument>(suiteSchema);
  }
  return validateSuite;
}

/** Reads `PolicyTest` documents (`<dir>/*.yaml`), with the position of each case for reports. */
export function loadPolicyTests(dir: string, cwd: string = process.cwd()): { cases: PolicyTestCase[]; problems: PolicyProblem[] } {
  const cases: PolicyTestCase[] = [];
  const problems: PolicyProblem[] = [];
  if (!fs.existsSync(dir)) return { cases, problems };
  for (const name of fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = path.relative(cwd, path.join(dir, name)) || name;
    const parsed = parsePolicySource(file, fs.readFileSync(path.join(dir, name), 'utf8'));
    problems.push(...parsed.problems);
    for (const source of parsed.documents) {
      const validate = suiteValidator();
      const suite = source.value;
      if (!validate(suite)) {
        for (const error of validate.errors ?? []) {
          const at = error.instancePath.split('/').slice(1);
          problems.push({ file, ...source.locate(at), message: `${at.join('.') || 'document'}: ${error.message ?? 'is invalid'}` });
        }
        continue;
      }
      suite.cases.forEach((c, i) => {
        cases.push({ ...c, file, ...source.locate(['cases', i]), suite: suite.metadata.name });
      });
    }
  }
  return { cases, problems };
}

function sortedFindings(findings: readonly { type: string; count: number }[] | undefined): { type: string; count: number }[] {
  return [...(findings ?? [])].map(({ type, count }) => ({ type, count })).sort((a, b) => a.type.localeCompare(b.type));
}

function compare(expected: PolicyTestCase['expect'], actual: PolicyTestResult): string[] {
  const mismatches: string[] = [];
  if (actual.decision !== expected.decision) mismatches.push(`decision: expected ${expected.decision}, got ${actual.decision}`);
  if (expected.ruleId !== undefined && actual.ruleId !== expected.ruleId) mismatches.push(`rule: expected ${expected.ruleId}, got ${actual.ruleId ?? 'none'}`);
  if (expected.maskedInput !== undefined && !isDeepStrictEqual(expected.maskedInput, actual.maskedInput ?? null)) {
    mismatches.push(`maskedInput: expected ${JSON.stringify(expected.maskedInput)}, got ${JSON.stringify(actual.maskedInput ?? null)}`);
  }
  const [want, got] = [sortedFindings(expected.findings), sortedFindings(actual.findings)];
  if (expected.findings !== undefined && !isDeepStrictEqual(want, got)) {
    mismatches.push(`findings: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  return mismatches;
}

/** Runs every case through `decide` under the compiled policy and compares with its expectations. */
export async function runPolicyTests(compiled: CompiledPolicy, cases: readonly PolicyTestCase[], decide: PolicyDecider): Promise<PolicyTestReport> {
  const report: PolicyTestReport = { passed: 0, failed: [] };
  const defaultIssuer = compiled.identityProviders[0]?.issuer ?? '';
  for (const testCase of cases) {
    let mismatches: string[];
    try {
      const actual = await decide(compiled, {
        claims: { iss: testCase.issuer ?? defaultIssuer, ...testCase.claims },
        request: { ...testCase.request, endpoint: testCase.request.endpoint || '/v1/embeddings' },
        now: Date.parse(testCase.time),
      });
      mismatches = compare(testCase.expect, actual);
    } catch (err) {
      mismatches = [`decide threw: ${(err as Error).message}`];
    }
    if (mismatches.length === 0) report.passed++;
    else report.failed.push({ case: testCase, mismatches });
  }
  return report;
}
