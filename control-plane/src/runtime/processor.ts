import type { RuntimePolicy } from '../processor/index.ts';
import type { ActiveSnapshot } from './active.ts';

/** The processor's view of a snapshot: limits and served models, frozen. */
export function toRuntimePolicy(active: ActiveSnapshot): RuntimePolicy {
  const { gateway } = active.compiled;
  return Object.freeze({
    snapshot: active.ref,
    limits: gateway.limits,
    models: new Set(Object.keys(gateway.routes)),
  });
}
