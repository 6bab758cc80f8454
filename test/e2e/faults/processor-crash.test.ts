import { describe, expect, it } from 'vitest';
import { PROCESSOR_YOUNG_GENERATION_MB } from '../../../control-plane/src/app/index.ts';
import { filesContaining } from '../process-stack.ts';
import { CANARIES, expectAuditVerifies, expectOpenAIError, piiRequest, receivedById, useProcessStack } from './shared.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  /** The request's number, carried in its (masked) text, so the upstream copy can be found. */
  n: number;
  status: number;
  text: string;
  at: number;
}

describe('fault: kill -9 the processor under load', () => {
  const stack = useProcessStack();

  it('runs the processor with the young generation the CLI starts node with', () => {
    const started = stack()
      .roleLog('processor')
      .split('\n')
      .find((line) => line.includes('young generation'));
    expect(started).toContain('young generation sized for the processor');
    expect(JSON.parse(started!).youngGenerationMb).toBeGreaterThanOrEqual(PROCESSOR_YOUNG_GENERATION_MB);
  });

  it('forwards nothing unrecorded or unmasked, loses no acknowledged record, and resumes within seconds of a restart', async () => {
    const s = stack();
    const token = await s.token('bob', ['engineering']);
    const outcomes: Outcome[] = [];
    let running = true;
    let n = 0;
    const worker = async () => {
      while (running) {
        const mine = (n += 1);
        try {
          const res = await s.embed(token, piiRequest(mine));
          outcomes.push({ n: mine, status: res.status, text: res.text, at: Date.now() });
        } catch {
          outcomes.push({ n: mine, status: 0, text: '', at: Date.now() });
          await sleep(20);
        }
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());
    await sleep(1500);
    const killedAt = Date.now();
    await s.killRole('processor', 'SIGKILL');
    await sleep(1500);
    const restartAt = Date.now();
    await s.startRole('processor');
    const readyAt = Date.now();
    await sleep(2500);
    running = false;
    await Promise.all(workers);

    const beforeKill = outcomes.filter((o) => o.at < killedAt);
    const duringOutage = outcomes.filter((o) => o.at > killedAt + 200 && o.at < restartAt);
    const firstOkAfterRestart = outcomes.find((o) => o.at >= restartAt && o.status === 200);
    expect(beforeKill.filter((o) => o.status === 200).length).toBeGreaterThan(10);
    expect(duringOutage.length).toBeGreaterThan(0);
    // Fail closed: while the processor is down every answer is a JSON 5xx, never a 200.
    for (const o of duringOutage) {
      expect(o.status, o.text).toBeGreaterThanOrEqual(500);
      expectOpenAIError(o.text);
    }
    expect(firstOkAfterRestart, 'no successful request after the restart').toBeDefined();
    expect((firstOkAfterRestart as Outcome).at - readyAt).toBeLessThan(5000);

    const records = await s.auditRecords();
    const received = receivedById(records);
    // Invariant 1: every body the upstream received was recorded first (same request id), and masked.
    expect(s.received.length).toBeGreaterThan(10);
    for (const request of s.received) {
      const id = String(request.headers['x-request-id']);
      expect(received.has(id), `upstream got ${id} with no request.received record`).toBe(true);
      for (const canary of CANARIES) expect(request.body).not.toContain(canary);
    }
    // Invariant 5: every request acknowledged to the client (200) reached the upstream with its committed record.
    const upstreamIdOf = new Map(s.received.map((r) => [/ticket (\d+):/.exec(r.body)?.[1], String(r.headers['x-request-id'])]));
    for (const o of outcomes.filter((x) => x.status === 200)) {
      const id = upstreamIdOf.get(String(o.n));
      expect(id && received.has(id), `acknowledged request ${o.n} has no record`).toBe(true);
    }
    // Every record names the snapshot in force and the caller.
    for (const r of received.values()) {
      expect(r.event.policy?.seq).toBeGreaterThan(0);
      expect(r.event.actor?.subject).toBe('bob');
    }
    await expectAuditVerifies(s);
    expect(filesContaining(s.home, CANARIES)).toEqual([]);
  }, 45_000);
});
