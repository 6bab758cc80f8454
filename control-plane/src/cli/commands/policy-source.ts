import { createHash } from 'node:crypto';
import type { Config } from '../../config/index.ts';
import { ENTITY_TYPES, findSecrets, unsafeRegexReason } from '../../masking/index.ts';
import { compilePolicy, formatProblem, validatePolicySet, type ContentChecks } from '../../policy/index.ts';
import { snapshotVersion, type ActiveSnapshot } from '../../runtime/index.ts';

/** Policy validation backed by the masking engine: regex safety, literal secrets, known entity types. */
export const POLICY_CONTENT_CHECKS: ContentChecks = { unsafeRegexReason, findSecrets, entityTypes: ENTITY_TYPES };

/** Compiles the policy directory into the snapshot to enforce. */
export async function loadPolicySnapshot(config: Readonly<Config>): Promise<ActiveSnapshot> {
  const result = validatePolicySet(config.policyDir, { checks: POLICY_CONTENT_CHECKS });
  if (!result.ok) throw new Error(`policy does not validate:\n${result.problems.map(formatProblem).join('\n')}`);
  const compiled = compilePolicy(result.documents.map((d) => d.document));
  const sha256 = createHash('sha256').update(JSON.stringify(compiled)).digest('hex');
  return { ref: { seq: 0, sha256, version: snapshotVersion(0, sha256) }, compiled };
}
