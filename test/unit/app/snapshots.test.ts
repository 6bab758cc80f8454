import { afterEach, describe, expect, it } from 'vitest';
import { lastEnforcedSeq } from '../../../control-plane/src/app/index.ts';
import { openConfiguredAuditLog, type AuditLog } from '../../../control-plane/src/audit/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { loadConfig } from '../../../control-plane/src/config/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

let log: AuditLog | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await log?.close();
  cleanup?.();
});

async function openLog(): Promise<AuditLog> {
  const tmp = makeTempDir();
  cleanup = tmp.cleanup;
  log = await openConfiguredAuditLog(loadConfig({ EMBGUARD_HOME: tmp.dir }), { clock: new FakeClock(), logger: silentLogger(), checkpointTimer: false });
  return log;
}

describe('lastEnforcedSeq', () => {
  it('is undefined for an empty log', async () => {
    expect(await lastEnforcedSeq((await openLog()).store)).toBeUndefined();
  });

  it('is the highest snapshot seq named by the newest entries', async () => {
    const audit = await openLog();
    await audit.append({ type: 'policy.activated', policy: { seq: 4, sha256: 'a'.repeat(64) } });
    await audit.append({ type: 'policy.activated', policy: { seq: 5, sha256: 'b'.repeat(64) } });
    await audit.append({ type: 'request.received', actor: { subject: 'alice' }, request: { id: 'r1' }, policy: { seq: 5, sha256: 'b'.repeat(64) } });
    await audit.append({ type: 'access.revoked', actor: { subject: 'sam' }, access: { grantId: 'g1' } });
    expect(await lastEnforcedSeq(audit.store)).toBe(5);
  });
});
