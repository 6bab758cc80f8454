/**
 * Policy as code: `policies/*.yaml` → strict parse → JSON Schema per (apiVersion, kind) →
 * cross-document semantics → a frozen `CompiledPolicy` that snapshots carry.
 *
 * Typical use: `const result = validatePolicySet(dir)`; when `result.ok`,
 * `compilePolicy(result.documents.map((d) => d.document))`.
 */
export { POLICY_API_VERSION, POLICY_KINDS } from './types.ts';
export type * from './types.ts';
export { validatePolicySet, validatePolicySources, type PolicyFileDocument, type PolicySetResult, type ValidateOptions } from './load.ts';
export type { ContentChecks } from './validate.ts';
export { MASKING_CONTENT_CHECKS } from './checks.ts';
export { formatProblem, githubAnnotation } from './report.ts';
export { parseDuration, DURATION_BOUNDS } from './duration.ts';
export {
  COMPILED_POLICY_SCHEMA,
  compilePolicy,
  compileEndpoint,
  isLoopbackHost,
  deepFreeze,
  type CompiledAccessRule,
  type CompiledChangeApproval,
  type CompiledEndpoint,
  type CompiledGateway,
  type CompiledGrant,
  type CompiledIdentityProvider,
  type CompiledJitApproval,
  type CompiledLimits,
  type CompiledMasking,
  type CompiledPolicy,
  type CompiledRetention,
  type CompiledRuntimeApprovalRule,
  type CompiledTimeWindow,
  type CompiledUpstream,
} from './compile.ts';
export {
  POLICY_TEST_DECISIONS,
  loadPolicyTests,
  runPolicyTests,
  type PolicyDecider,
  type PolicyTestCase,
  type PolicyTestDecision,
  type PolicyTestFailure,
  type PolicyTestReport,
  type PolicyTestRequest,
  type PolicyTestResult,
} from './testing.ts';
