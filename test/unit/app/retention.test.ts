import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RetentionEnforcer } from '../../../control-plane/src/app/retention.ts';
import { openConfiguredAuditLog, type AuditLog } from '../../../control-plane/src/audit/index.ts';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { loadConfig } from '../../../control-plane/src/config/index.ts';
import { silentLogger } from '../../../control-plane/src/log/index.ts';
import type { CompiledRetention } from '../../../control-plane/src/policy/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const DAY = 24 * 3600_000;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => cleanup?.());

async function setup() {
  const tmp = makeTempDir();
  const clock = new FakeClock();
  const audit: AuditLog = await openConfiguredAuditLog(loadConfig({ EMBGUARD_HOME: tmp.dir }), { clock, logger: silentLogger(), checkpointTimer: false });
  const enforcer = new RetentionEnforcer({ audit, secrets: { env: {}, baseDir: tmp.dir }, home: tmp.dir, logger: silentLogger(), forwardIntervalMs: 20 });
  cleanup = async () => {
    await enforcer.stop();
    await audit.close();
    tmp.cleanup();
  };
  return { home: tmp.dir, clock, audit, enforcer };
}

const retention = (keepMaskedContentForMs: number, forwardTo?: string): CompiledRetention => ({
  keepMetadataForMs: 400 * DAY,
  storeMaskedContent: true,
  keepMaskedContentForMs,
  forwarding: forwardTo ? [{ name: 'archive', type: 'file', target: forwardTo, credential: null }] : [],
});

async function eventually(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RetentionEnforcer', () => {
  it('deletes masked excerpts after the policy period, as an audited event, and keeps younger ones', async () => {
    const { clock, audit, enforcer } = await setup();
    enforcer.apply(retention(10 * DAY));
    await audit.append({ type: 'request.received', actor: { subject: 'a' }, request: { id: 'r1' }, policy: { seq: 1, sha256: 'a'.repeat(64) }, excerpt: 'old <EMAIL_ADDRESS>' });
    clock.advance(9 * DAY);
    await audit.append({ type: 'request.received', actor: { subject: 'a' }, request: { id: 'r2' }, policy: { seq: 1, sha256: 'a'.repeat(64) }, excerpt: 'young <EMAIL_ADDRESS>' });
    clock.advance(2 * DAY);
    expect(await audit.applyRetention()).toBe(1);
    const types = (await audit.store.readEntries(0, await audit.store.size())).map((e) => e.type);
    expect(types).toEqual(['request.received', 'request.received', 'retention.deleted']);
  });

  it('forwards every entry to the policy file target under EMBGUARD_HOME, at least once', async () => {
    const { home, audit, enforcer } = await setup();
    enforcer.apply(retention(30 * DAY, 'archive/audit.jsonl'));
    for (const id of ['r1', 'r2', 'r3']) {
      await audit.append({ type: 'request.received', actor: { subject: 'a' }, request: { id }, policy: { seq: 1, sha256: 'a'.repeat(64) } });
    }
    const file = path.join(home, 'archive', 'audit.jsonl');
    await eventually(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim().split('\n').length === 3);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { index: number });
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2]);
  });
});
