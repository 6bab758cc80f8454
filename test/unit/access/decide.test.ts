import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../control-plane/src/clock/index.ts';
import { openAIErrorJson } from '../../../control-plane/src/errors/index.ts';
import { accessDeniedError, decideAccess, type AccessRule, type GrantWindow } from '../../../control-plane/src/access/index.ts';
import type { Identity } from '../../../control-plane/src/identity/index.ts';

const rule = (overrides: Partial<AccessRule> & Pick<AccessRule, 'id' | 'effect'>): AccessRule => ({
  policy: 'test-policy',
  subjects: null,
  groups: null,
  clients: null,
  models: ['*'],
  endpoints: ['/v1/embeddings'],
  timeWindows: [],
  mode: 'enforce',
  ...overrides,
});
const person = (subject: string, groups: string[] = [], clientId?: string): Identity => ({
  subject,
  groups,
  clientId,
  issuer: 'http://127.0.0.1:18004',
});
const query = (identity: Identity, model = 'demo-small') => ({ identity, model, endpoint: '/v1/embeddings' });

const rules: AccessRule[] = [
  rule({ id: 'ml-engineers-demo', effect: 'allow', groups: ['ml-engineers'], models: ['demo-*'] }),
  rule({ id: 'no-contractors', effect: 'deny', groups: ['contractors'] }),
  rule({ id: 'ci-large', effect: 'allow', clients: ['ci-job'], models: ['demo-large'] }),
];
// 2026-01-05 is a Monday.
const clock = new FakeClock(Date.UTC(2026, 0, 5, 12, 0, 0));

describe('decideAccess', () => {
  it('allows a group the rule names and denies by default otherwise', () => {
    expect(decideAccess(rules, query(person('alice', ['ml-engineers'])), { clock })).toMatchObject({
      allowed: true,
      ruleId: 'ml-engineers-demo',
    });
    expect(decideAccess(rules, query(person('guest', ['guests'])), { clock })).toEqual({
      allowed: false,
      basis: 'default',
      shadow: null,
    });
    expect(decideAccess(rules, query(person('alice', ['ml-engineers']), 'other-model'), { clock }).allowed).toBe(false);
  });

  it('lets a deny rule override an allow rule whatever their order', () => {
    const both = person('carol', ['ml-engineers', 'contractors']);
    expect(decideAccess(rules, query(both), { clock })).toMatchObject({ allowed: false, basis: 'rule', ruleId: 'no-contractors' });
    expect(decideAccess([...rules].reverse(), query(both), { clock })).toMatchObject({ allowed: false, ruleId: 'no-contractors' });
  });

  it('matches the client id and the endpoint', () => {
    expect(decideAccess(rules, query(person('bot', [], 'ci-job'), 'demo-large'), { clock }).allowed).toBe(true);
    expect(decideAccess(rules, query(person('bot', [], 'other'), 'demo-large'), { clock }).allowed).toBe(false);
    const other = { identity: person('alice', ['ml-engineers']), model: 'demo-small', endpoint: '/v1/other' };
    expect(decideAccess(rules, other, { clock }).allowed).toBe(false);
  });

  it('opens a time window at its start minute and closes it at its end minute, in the window zone', () => {
    // Mon–Fri 09:00–17:00 Europe/Berlin; in January Berlin is UTC+1.
    const office = rule({
      id: 'office-hours',
      effect: 'allow',
      groups: ['ml-engineers'],
      timeWindows: [{ days: [1, 2, 3, 4, 5], startMinute: 9 * 60, endMinute: 17 * 60, timezone: 'Europe/Berlin' }],
    });
    const q = query(person('alice', ['ml-engineers']));
    const at = (h: number, m: number, s = 0) => new FakeClock(Date.UTC(2026, 0, 5, h, m, s));
    expect(decideAccess([office], q, { clock: at(7, 59, 59) }).allowed).toBe(false);
    expect(decideAccess([office], q, { clock: at(8, 0, 0) }).allowed).toBe(true);
    expect(decideAccess([office], q, { clock: at(15, 59, 59) }).allowed).toBe(true);
    expect(decideAccess([office], q, { clock: at(16, 0, 0) }).allowed).toBe(false);
    // Saturday, inside the hours: closed.
    expect(decideAccess([office], q, { clock: new FakeClock(Date.UTC(2026, 0, 10, 10, 0)) }).allowed).toBe(false);
  });

  it('keeps a window that crosses midnight on the day it starts', () => {
    const night = rule({
      id: 'friday-night',
      effect: 'allow',
      timeWindows: [{ days: [5], startMinute: 22 * 60, endMinute: 2 * 60, timezone: 'UTC' }],
    });
    const q = query(person('alice'));
    // 2026-01-09 is a Friday.
    expect(decideAccess([night], q, { clock: new FakeClock(Date.UTC(2026, 0, 10, 1, 59)) }).allowed).toBe(true);
    expect(decideAccess([night], q, { clock: new FakeClock(Date.UTC(2026, 0, 10, 2, 0)) }).allowed).toBe(false);
    expect(decideAccess([night], q, { clock: new FakeClock(Date.UTC(2026, 0, 9, 1, 0)) }).allowed).toBe(false);
  });

  it('reports shadow rules without enforcing them', () => {
    const shadowDeny = rule({ id: 'shadow-deny-small', effect: 'deny', models: ['demo-small'], mode: 'shadow' });
    const decision = decideAccess([...rules, shadowDeny], query(person('alice', ['ml-engineers'])), { clock });
    expect(decision).toMatchObject({
      allowed: true,
      ruleId: 'ml-engineers-demo',
      shadow: { matchedRuleIds: ['shadow-deny-small'], wouldAllow: false, wouldRuleId: 'shadow-deny-small' },
    });
    const shadowAllow = rule({ id: 'shadow-guests', effect: 'allow', groups: ['guests'], mode: 'shadow' });
    expect(decideAccess([shadowAllow], query(person('g', ['guests'])), { clock })).toMatchObject({
      allowed: false,
      basis: 'default',
      shadow: { wouldAllow: true, wouldRuleId: 'shadow-guests' },
    });
  });

  it('allows through an active grant to the millisecond, but never past an explicit deny', () => {
    const grant: GrantWindow = {
      id: 'acc_1',
      subject: 'dave',
      models: ['demo-large'],
      endpoints: ['/v1/embeddings'],
      activeFrom: clock.now(),
      activeUntil: clock.now() + 300_000,
    };
    const q = query(person('dave', ['guests']), 'demo-large');
    const at = (ms: number) => ({ clock: new FakeClock(ms), grants: [grant] });
    expect(decideAccess(rules, q, at(grant.activeFrom - 1)).allowed).toBe(false);
    expect(decideAccess(rules, q, at(grant.activeFrom))).toMatchObject({ allowed: true, basis: 'grant', grantId: 'acc_1', validUntil: grant.activeUntil });
    expect(decideAccess(rules, q, at(grant.activeUntil - 1)).allowed).toBe(true);
    expect(decideAccess(rules, q, at(grant.activeUntil)).allowed).toBe(false);
    const contractor = query(person('dave', ['contractors']), 'demo-large');
    expect(decideAccess(rules, contractor, at(grant.activeFrom))).toMatchObject({ allowed: false, ruleId: 'no-contractors' });
  });

  it('builds a 403 that names the rule and nothing else of the policy', () => {
    const decision = decideAccess(rules, query(person('carol', ['contractors'])), { clock });
    if (decision.allowed) throw new Error('expected a refusal');
    const { status, json } = openAIErrorJson(accessDeniedError(decision));
    expect(status).toBe(403);
    expect(JSON.parse(json)).toMatchObject({ error: { code: 'access_denied', type: 'permission_error' } });
    expect(json).toContain('no-contractors');
    expect(json).not.toContain('contractors"');
    const fallback = decideAccess(rules, query(person('g', ['guests'])), { clock });
    if (fallback.allowed) throw new Error('expected a refusal');
    expect(openAIErrorJson(accessDeniedError(fallback)).json).toContain('default-deny');
  });
});
