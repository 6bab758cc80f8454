import { accessDeniedError, decideAccess, type AccessDecision, type GrantWindow } from '../access/index.ts';
import type { Clock } from '../clock/index.ts';
import { GatewayError } from '../errors/index.ts';
import type { Identity } from '../identity/index.ts';
import { scanEmbeddingsInput, type InputScanResult, type MaskingDecision, type ScanResult } from '../masking/index.ts';
import type { RuntimePolicy } from './policy.ts';
import type { EmbeddingInput } from './request.ts';

/** One embeddings request as the decision sees it: who, which model and endpoint, what input. */
export interface DecisionRequest {
  readonly identity: Identity;
  readonly model: string;
  readonly endpoint: string;
  readonly input: EmbeddingInput;
  readonly user?: string | undefined;
}

/**
 * The gateway's verdict on one request, before anything is recorded or forwarded. `allow` carries
 * the masked input to send; the refusals carry what decided them.
 */
export type RequestDecision =
  | {
      readonly outcome: 'allow';
      readonly access: Extract<AccessDecision, { allowed: true }>;
      readonly scan: InputScanResult;
      readonly user: ScanResult | undefined;
    }
  | { readonly outcome: 'deny'; readonly access: Extract<AccessDecision, { allowed: false }> }
  | {
      readonly outcome: 'block' | 'require_approval';
      readonly access: Extract<AccessDecision, { allowed: true }>;
      readonly scan: InputScanResult;
      readonly rule: MaskingDecision;
    };

/**
 * Access, then masking, for one request: the code the processor enforces and `embguard policy
 * test` evaluates. Pure apart from the clock; throws only a `GatewayError` for input the masking
 * engine refuses (size or time budget, token ids refused by policy).
 */
export function decideRequest(
  policy: RuntimePolicy,
  request: DecisionRequest,
  context: { clock: Clock; grants: readonly GrantWindow[] },
): RequestDecision {
  const access = decideAccess(
    policy.accessRules,
    { identity: request.identity, model: request.model, endpoint: request.endpoint },
    { clock: context.clock, grants: context.grants },
  );
  if (!access.allowed) return { outcome: 'deny', access };
  const scope = { model: request.model, groups: request.identity.groups };
  const scan = scanEmbeddingsInput(policy.masking, request.input, scope);
  if ((scan.outcome === 'block' || scan.outcome === 'require_approval') && scan.decision) {
    return { outcome: scan.outcome, access, scan, rule: scan.decision };
  }
  const user = request.user === undefined ? undefined : policy.masking.scan(request.user, scope);
  if (user?.decision && (user.outcome === 'block' || user.outcome === 'require_approval')) {
    return { outcome: user.outcome, access, scan, rule: user.decision };
  }
  return { outcome: 'allow', access, scan, user };
}

/** The client-facing error for a refusal; it names rule ids and entity types, never content. */
export function refusalError(decision: Exclude<RequestDecision, { outcome: 'allow' }>): GatewayError {
  if (decision.outcome === 'deny') return accessDeniedError(decision.access);
  const detail = `(entity: ${decision.rule.entityType}, rule: ${decision.rule.ruleId})`;
  // The approval workflow is not built yet: a request that needs approval is refused, never sent.
  return new GatewayError(decision.outcome === 'block' ? 'blocked_content' : 'approval_required', { detail });
}
