import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { GatewayError } from '../../../control-plane/src/errors/index.ts';
import {
  decideAccess,
  GrantStore,
  JitAccess,
  type AccessEvent,
  type GrantEnded,
  type JitApprovalSettings,
} from '../../../control-plane/src/access/index.ts';
import type { Identity } from '../../../control-plane/src/identity/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

const person = (subject: string, groups: string[] = []): Identity => ({ subject, groups, clientId: undefined, issuer: 'iss' });
const dave = person('dave', ['guests']);
const erin = person('erin', ['security']);
const frank = person('frank', ['security']);
const settings: JitApprovalSettings = { approverGroups: ['security'], quorum: 1, maxDurationMs: 3_600_000 };
const START = Date.UTC(2026, 0, 5, 12, 0, 0);

function expectGatewayError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('JIT access', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let file: string;
  let clock: FakeClock;
  let store: GrantStore;
  let events: AccessEvent[];
  let ids: number;
  const service = (s: JitApprovalSettings | (() => JitApprovalSettings) = settings, st: GrantStore = store) =>
    new JitAccess({ store: st, clock, settings: s, onEvent: (e) => events.push(e), newId: () => `acc_${++ids}` });
  const canCall = (jit: JitAccess, who: Identity = dave, model = 'demo-large') =>
    decideAccess([], { identity: who, model, endpoint: '/v1/embeddings' }, { clock, grants: jit.grantWindows() }).allowed;

  beforeEach(() => {
    tmp = makeTempDir();
    file = path.join(tmp.dir, 'access', 'grants.sqlite');
    clock = new FakeClock(START);
    store = GrantStore.open(file);
    events = [];
    ids = 0;
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('grants from approval until approval + duration, to the second, and records every step', () => {
    const jit = service();
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 300_000, reason: 'incident 42' });
    expect(request.state).toBe('pending');
    expect(canCall(jit)).toBe(false);

    clock.advance(90_000);
    const approvedAt = clock.now();
    expect(jit.approve(request.id, erin)).toMatchObject({
      state: 'active',
      activeFrom: new Date(approvedAt).toISOString(),
      activeUntil: new Date(approvedAt + 300_000).toISOString(),
    });
    expect(canCall(jit)).toBe(true);
    expect(canCall(jit, dave, 'demo-small')).toBe(false);

    clock.set(approvedAt + 299_999);
    expect(canCall(jit)).toBe(true);
    clock.set(approvedAt + 300_000);
    expect(canCall(jit)).toBe(false);
    expect(jit.get(request.id)?.state).toBe('expired');

    const ended: GrantEnded[] = [];
    jit.onGrantEnded((e) => ended.push(e));
    jit.sweep();
    jit.sweep();
    expect(ended).toEqual([{ grantId: request.id, subject: 'dave', why: 'expired' }]);
    expect(events.map((e) => [e.type, e.actor, e.at])).toEqual([
      ['access.requested', 'dave', new Date(START).toISOString()],
      ['access.approved', 'erin', new Date(approvedAt).toISOString()],
      ['access.granted', 'erin', new Date(approvedAt).toISOString()],
      ['access.activated', 'system', new Date(approvedAt).toISOString()],
      ['access.expired', 'system', new Date(approvedAt + 300_000).toISOString()],
    ]);
  });

  it('refuses self-approval, approvals from outside the approver groups, and durations over the maximum', () => {
    const jit = service();
    const selfApprover = person('erin', ['security']);
    const own = jit.request(selfApprover, { models: ['demo-large'], durationMs: 60_000, reason: 'test' });
    expectGatewayError(() => jit.approve(own.id, selfApprover), 'access_request_forbidden');
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 60_000, reason: 'test' });
    expectGatewayError(() => jit.approve(request.id, person('mallory', ['guests'])), 'access_request_forbidden');
    expectGatewayError(() => jit.request(dave, { models: ['demo-large'], durationMs: 3_600_001, reason: 'x' }), 'access_request_invalid');
    expectGatewayError(() => jit.request(dave, { models: [], durationMs: 60_000, reason: 'x' }), 'access_request_invalid');
    expectGatewayError(() => jit.approve('acc_404', erin), 'access_request_not_found');
    expect(jit.get(own.id)?.state).toBe('pending');
  });

  it('needs a quorum of distinct approvers', () => {
    const jit = service({ ...settings, quorum: 2 });
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 60_000, reason: 'two eyes' });
    expect(jit.approve(request.id, erin).state).toBe('pending');
    expectGatewayError(() => jit.approve(request.id, erin), 'access_request_conflict');
    expect(canCall(jit)).toBe(false);
    expect(jit.approve(request.id, frank).state).toBe('active');
    expect(canCall(jit)).toBe(true);
  });

  it('ends a grant the moment it is revoked and tells listeners', () => {
    const jit = service();
    const ended: GrantEnded[] = [];
    jit.onGrantEnded((e) => ended.push(e));
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 600_000, reason: 'x' });
    jit.approve(request.id, erin);
    clock.advance(1000);
    expect(canCall(jit)).toBe(true);
    expectGatewayError(() => jit.revoke(request.id, person('mallory')), 'access_request_forbidden');
    expect(jit.revoke(request.id, frank)).toMatchObject({ state: 'revoked', revoked: { by: 'frank' } });
    expect(canCall(jit)).toBe(false);
    expect(ended).toEqual([{ grantId: request.id, subject: 'dave', why: 'revoked' }]);
    expectGatewayError(() => jit.revoke(request.id, frank), 'access_request_conflict');
    expect(events.at(-1)).toMatchObject({ type: 'access.revoked', actor: 'frank' });
  });

  it('denies a pending request once', () => {
    const jit = service();
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 60_000, reason: 'x' });
    expect(jit.deny(request.id, erin)).toMatchObject({ state: 'denied', denied: { by: 'erin' } });
    expectGatewayError(() => jit.approve(request.id, frank), 'access_request_conflict');
    expect(canCall(jit)).toBe(false);
  });

  it('keeps grant state across a reopen of the store, and sees revocations from another process', () => {
    const jit = service();
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 600_000, reason: 'x' });
    jit.approve(request.id, erin);
    store.close();

    store = GrantStore.open(file);
    const reopened = service();
    expect(reopened.get(request.id)).toMatchObject({ state: 'active', approvals: [{ approver: 'erin' }] });
    expect(canCall(reopened)).toBe(true);

    // A second connection (e.g. the control-plane process) revokes; this one notices on its next read.
    const ended: GrantEnded[] = [];
    reopened.onGrantEnded((e) => ended.push(e));
    const other = GrantStore.open(file);
    service(settings, other).revoke(request.id, frank);
    other.close();
    expect(canCall(reopened)).toBe(false);
    expect(ended).toEqual([{ grantId: request.id, subject: 'dave', why: 'revoked' }]);
    // Activation was emitted once before the restart; a sweep after reopening does not repeat it.
    const activations = events.filter((e) => e.type === 'access.activated').length;
    reopened.sweep();
    expect(events.filter((e) => e.type === 'access.activated')).toHaveLength(activations);
  });

  it('sweeps on a timer so a revocation from another process reaches listeners without a request', () => {
    vi.useFakeTimers();
    try {
      const jit = service();
      const request = jit.request(dave, { models: ['demo-large'], durationMs: 600_000, reason: 'x' });
      jit.approve(request.id, erin);
      const ended: GrantEnded[] = [];
      jit.onGrantEnded((e) => ended.push(e));
      const stop = jit.startSweeper({ intervalMs: 1000 });
      const other = GrantStore.open(file);
      service(settings, other).revoke(request.id, frank);
      other.close();
      expect(ended).toEqual([]);
      vi.advanceTimersByTime(1000);
      expect(ended).toEqual([{ grantId: request.id, subject: 'dave', why: 'revoked' }]);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads approver settings through a getter, so a policy swap applies to pending requests', () => {
    let current = settings;
    const jit = service(() => current);
    const request = jit.request(dave, { models: ['demo-large'], durationMs: 60_000, reason: 'x' });
    current = { ...settings, approverGroups: ['platform'] };
    expectGatewayError(() => jit.approve(request.id, erin), 'access_request_forbidden');
    expect(jit.approve(request.id, person('pat', ['platform'])).state).toBe('active');
  });

  it('takes AccessGrant documents as approved and revokes them when the document goes', () => {
    const jit = service();
    const grant = {
      name: 'dave-demo-large',
      subject: 'dave',
      models: ['demo-large'],
      endpoints: ['/v1/embeddings'],
      notBefore: new Date(START + 60_000).toISOString(),
      expiresAt: new Date(START + 120_000).toISOString(),
      reason: 'PR #12',
      ticket: null,
    };
    jit.syncPolicyGrants([grant]);
    expect(jit.get('policy:dave-demo-large')?.state).toBe('scheduled');
    expect(canCall(jit)).toBe(false);
    clock.advance(60_000);
    expect(canCall(jit)).toBe(true);
    jit.syncPolicyGrants([grant]);
    expect(events.filter((e) => e.grantId === 'policy:dave-demo-large').map((e) => e.type)).toEqual([
      'access.requested',
      'access.granted',
      'access.activated',
    ]);
    jit.syncPolicyGrants([]);
    expect(jit.get('policy:dave-demo-large')?.state).toBe('revoked');
    expect(canCall(jit)).toBe(false);
  });

  it('shows requesters their own grants and approvers all of them', () => {
    const jit = service();
    jit.request(dave, { models: ['demo-large'], durationMs: 60_000, reason: 'x' });
    jit.request(person('gina'), { models: ['demo-large'], durationMs: 60_000, reason: 'y' });
    expect(jit.list(dave).map((g) => g.subject)).toEqual(['dave']);
    expect(jit.list(erin)).toHaveLength(2);
  });
});
