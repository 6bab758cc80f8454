import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { auditPaths } from '../../../control-plane/src/audit/index.ts';
import { expectAuditVerifies, expectOpenAIError, piiRequest, useProcessStack } from './shared.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The audit store becomes unwritable while the gateway runs. Tests run as root in CI, so file
 * modes cannot take the store away; instead another process holds SQLite's write lock (what a
 * stuck backup, a runaway migration or a full disk look like to the processor: commits fail).
 */
describe('fault: audit store unwritable', () => {
  const stack = useProcessStack();

  it('refuses every request with a JSON 503 and forwards nothing while the log cannot commit; recovers after', async () => {
    const s = stack();
    const token = await s.token('bob', ['engineering']);
    expect((await s.embed(token, piiRequest(0))).status).toBe(200);
    const forwardedBefore = s.received.length;

    const blocker = new Database(auditPaths(s.home).sqlite);
    blocker.pragma('busy_timeout = 1000');
    blocker.exec('BEGIN EXCLUSIVE');
    let answers: { status: number; text: string }[];
    try {
      answers = await Promise.all([1, 2, 3].map((n) => s.embed(token, piiRequest(n))));
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(503);
      expect(['audit_unavailable', 'processor_unavailable']).toContain(expectOpenAIError(answer.text).code);
    }
    expect(s.received.length).toBe(forwardedBefore);

    // Once the store is writable again, service resumes without a restart.
    let status = 0;
    const deadline = Date.now() + 10_000;
    while (status !== 200 && Date.now() < deadline) {
      status = (await s.embed(token, piiRequest(9))).status;
      if (status !== 200) await sleep(200);
    }
    expect(status).toBe(200);
    expect(s.received.length).toBe(forwardedBefore + 1);
    await expectAuditVerifies(s);
  }, 45_000);
});
