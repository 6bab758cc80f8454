import { createHash } from 'node:crypto';
import { policyGrantWindows } from '../access/index.ts';
import { FakeClock } from '../clock/index.ts';
import { identityFromClaims } from '../identity/index.ts';
import type { CompiledPolicy, PolicyDecider, PolicyTestResult } from '../policy/index.ts';
import { decideRequest, type RuntimePolicy } from '../processor/index.ts';
import type { EmbeddingInput } from '../processor/request.ts';
import { toRuntimePolicy } from './processor.ts';

/**
 * A fixed key for tokenization in policy tests: tests run in CI without production secrets, and
 * expected tokens stay stable from run to run. It tokenizes nothing real.
 */
const POLICY_TEST_TOKEN_KEY = createHash('sha256').update('embguard policy test tokenization key').digest('hex');

function runtimeFor(compiled: CompiledPolicy): RuntimePolicy {
  const env: Record<string, string> = {};
  const ref = compiled.masking.tokenization?.keyRef;
  if (ref?.startsWith('env:')) env[ref.slice(4)] = POLICY_TEST_TOKEN_KEY;
  return toRuntimePolicy({ ref: { seq: 0, sha256: '0'.repeat(64), version: '0-000000000000' }, compiled }, { env, baseDir: process.cwd() });
}

function findingCounts(findings: readonly { type: string }[]): { type: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(finding.type, (counts.get(finding.type) ?? 0) + 1);
  return [...counts].map(([type, count]) => ({ type, count })).sort((a, b) => a.type.localeCompare(b.type));
}

/**
 * `embguard policy test`'s decision function: the processor's `decideRequest` on the snapshot's
 * runtime policy, at the case's time, for the identity its claims name.
 */
export const policyTestDecider: PolicyDecider = (compiled, { claims, request, now }) => {
  const policy = runtimeFor(compiled);
  const identity = identityFromClaims(claims, compiled.identityProviders);
  if (!identity.ok) return { decision: 'deny', ruleId: `unauthenticated:${identity.reason}` };
  const decision = decideRequest(
    policy,
    { identity: identity.identity, model: request.model, endpoint: request.endpoint, input: request.input as EmbeddingInput },
    { clock: new FakeClock(now), grants: policyGrantWindows(compiled.grants) },
  );
  if (decision.outcome === 'deny') {
    return { decision: 'deny', ruleId: decision.access.basis === 'rule' ? decision.access.ruleId : 'default-deny' };
  }
  const result: PolicyTestResult = { decision: decision.outcome, findings: findingCounts(decision.scan.findings), maskedInput: decision.scan.input };
  if (decision.outcome !== 'allow') result.ruleId = decision.rule.ruleId;
  else result.ruleId = decision.access.basis === 'rule' ? decision.access.ruleId : decision.access.grantId;
  return result;
};
