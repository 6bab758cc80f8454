/**
 * Access: who may call which model, when. Pure decisions over compiled access rules plus
 * just-in-time grants, the persisted grant store, and the control-plane API for access requests.
 */
export type {
  AccessDecision,
  AccessMode,
  AccessQuery,
  AccessRule,
  AccessTimeWindow,
  GrantWindow,
  ShadowOutcome,
} from './types.ts';
export { decideAccess, accessDeniedError, DEFAULT_DENY_RULE_ID } from './decide.ts';
export { inTimeWindow, localDayAndMinute } from './time-window.ts';
export { GrantStore, grantStorePath, type GrantRecord, type GrantSource } from './grant-store.ts';
export {
  JitAccess,
  grantState,
  policyGrantWindows,
  type AccessEvent,
  type AccessEventType,
  type AccessRequestInput,
  type GrantEnded,
  type GrantState,
  type GrantView,
  type JitApprovalSettings,
} from './jit.ts';
export { accessApiRoutes, parseAccessRequestBody } from './api.ts';
export { AccessApiClient, AccessApiError } from './client.ts';
