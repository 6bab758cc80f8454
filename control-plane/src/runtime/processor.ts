import { createMaskingEngine } from '../masking/index.ts';
import type { RuntimePolicy } from '../processor/index.ts';
import type { SecretSources } from '../secrets/index.ts';
import type { ActiveSnapshot } from './active.ts';
import { resolveTokenKeys } from './token-keys.ts';
import { routedUpstream } from './upstream.ts';

/**
 * The processor's view of a snapshot, with the masking engine compiled once here rather than per
 * request. Throws when a secret the snapshot names cannot be resolved, so the caller keeps the
 * last good policy.
 */
export function toRuntimePolicy(active: ActiveSnapshot, secrets: SecretSources): RuntimePolicy {
  const { gateway, identityProviders, access, masking } = active.compiled;
  const upstream = routedUpstream(gateway);
  return Object.freeze({
    snapshot: active.ref,
    limits: gateway.limits,
    models: new Set(Object.keys(gateway.routes)),
    identityProviders,
    accessRules: access.rules,
    masking: createMaskingEngine(masking.enforced, { tokenKeys: resolveTokenKeys(masking.tokenization, secrets) }),
    storeMaskedExcerpts: active.compiled.retention?.storeMaskedContent ?? true,
    upstream: { name: upstream.name, credentialHeader: upstream.credential?.header.toLowerCase() },
  });
}
