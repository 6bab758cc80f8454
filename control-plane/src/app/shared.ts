import { GrantStore, grantStorePath, JitAccess, type AccessEvent, type JitApprovalSettings } from '../access/index.ts';
import { openConfiguredAuditLog, type AuditEventInput, type AuditLog, type AuditPolicyRef } from '../audit/index.ts';
import type { ActiveSnapshot } from '../runtime/index.ts';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';

/**
 * Who approves just-in-time access when no ApprovalPolicy sets `access`: the security group, one
 * approver, at most eight hours.
 */
export const DEFAULT_JIT_SETTINGS: JitApprovalSettings = { approverGroups: ['security'], quorum: 1, maxDurationMs: 8 * 3600_000 };
const GRANT_SWEEP_INTERVAL_MS = 1000;

/** State both roles share on one machine: the audit log and the grant store (SQLite files under `home`). */
export interface SharedState {
  readonly audit: AuditLog;
  readonly access: JitAccess;
  /**
   * Takes what the shared state needs of the snapshot now in force: its just-in-time approval
   * settings (the default when it sets none) and its identity, which every background event names.
   */
  useSnapshot(snapshot: ActiveSnapshot): void;
  /**
   * Appends without blocking the caller; a failure is logged. For control-plane events, not
   * requests. An event that names no snapshot gets the one in force.
   */
  recordInBackground(event: AuditEventInput): void;
  close(): Promise<void>;
}

/** An access lifecycle step as an audit event. */
function accessAuditEvent(event: AccessEvent): AuditEventInput {
  const access = {
    grantId: event.grantId,
    requester: event.subject,
    ...(event.activeFrom ? { startsAt: event.activeFrom } : {}),
    ...(event.activeUntil ? { expiresAt: event.activeUntil } : {}),
    ...(event.reason ? { reason: event.reason } : {}),
  };
  const actor = { subject: event.actor };
  if (event.type === 'access.approved' || event.type === 'access.denied') {
    return { type: event.type, actor, access: { ...access, approver: event.actor } };
  }
  return { type: event.type, actor, access };
}

/**
 * Opens the audit log and the JIT grant store. Only one process per log signs checkpoints (the
 * control plane); the processor only appends.
 */
export async function openSharedState(
  config: Readonly<Config>,
  deps: { logger: Logger; clock: Clock; signCheckpoints: boolean },
): Promise<SharedState> {
  const { logger, clock } = deps;
  const audit = await openConfiguredAuditLog(config, { clock, logger, checkpointTimer: deps.signCheckpoints });
  let policyInForce: AuditPolicyRef | undefined;
  const recordInBackground = (event: AuditEventInput) => {
    const named = event.policy || !policyInForce ? event : { ...event, policy: policyInForce };
    audit.append(named).catch((err: unknown) => logger.error({ err, type: event.type }, 'could not record an event'));
  };
  const grants = GrantStore.open(grantStorePath(config.home));
  let jitSettings = DEFAULT_JIT_SETTINGS;
  const access = new JitAccess({ store: grants, clock, settings: () => jitSettings, onEvent: (e) => recordInBackground(accessAuditEvent(e)) });
  access.sweep();
  const stopSweeper = access.startSweeper({ intervalMs: GRANT_SWEEP_INTERVAL_MS });
  return {
    audit,
    access,
    useSnapshot(snapshot) {
      jitSettings = snapshot.compiled.approval.access ?? DEFAULT_JIT_SETTINGS;
      policyInForce = { seq: snapshot.ref.seq, sha256: snapshot.ref.sha256 };
    },
    recordInBackground,
    async close() {
      stopSweeper();
      grants.close();
      await audit.close();
    },
  };
}
