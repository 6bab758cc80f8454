/**
 * Access decision cost on the request path: `decideAccess` over a policy-sized rule set, and
 * `JitAccess.grantWindows()` (the in-memory grant view plus its cross-process change check).
 * Run: `npx tsx bench/access.ts`. Prints numbers; not a test.
 */
import os from 'node:os';
import path from 'node:path';
import { FakeClock, systemClock } from '../control-plane/src/clock/index.ts';
import { decideAccess, GrantStore, JitAccess, type AccessRule } from '../control-plane/src/access/index.ts';
import { makeTempDir } from '../test/helpers/tmp.ts';

function measure(name: string, iterations: number, fn: () => void): void {
  for (let i = 0; i < Math.min(iterations, 1000); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const nsPerOp = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name}: ${(nsPerOp / 1000).toFixed(2)} µs/op (${Math.round(1e9 / nsPerOp).toLocaleString('en')} ops/s)`);
}

const rules: AccessRule[] = Array.from({ length: 50 }, (_, i) => ({
  id: `rule-${i}`,
  policy: 'bench',
  effect: i % 10 === 0 ? 'deny' : 'allow',
  subjects: null,
  groups: [`group-${i}`],
  clients: null,
  models: [`model-${i % 5}`, 'demo-*'],
  endpoints: ['/v1/embeddings'],
  timeWindows: i % 3 === 0 ? [{ days: [1, 2, 3, 4, 5], startMinute: 480, endMinute: 1080, timezone: 'Europe/Berlin' }] : [],
  mode: i % 7 === 0 ? 'shadow' : 'enforce',
}));
const identity = { subject: 'alice', groups: ['group-3', 'group-21', 'ml-engineers'], clientId: 'cli', issuer: 'iss' };
const query = { identity, model: 'demo-small', endpoint: '/v1/embeddings' };

const tmp = makeTempDir('embguard-bench-');
const store = GrantStore.open(path.join(tmp.dir, 'grants.sqlite'));
const clock = new FakeClock(Date.now());
const jit = new JitAccess({ store, clock, settings: { approverGroups: ['sec'], quorum: 1, maxDurationMs: 3_600_000 }, onEvent: () => {} });
const approver = { subject: 'sec-1', groups: ['sec'], clientId: undefined, issuer: 'iss' };
for (let i = 0; i < 1000; i++) {
  const grant = jit.request({ ...identity, subject: `user-${i}` }, { models: ['demo-large'], durationMs: 600_000, reason: 'bench' });
  jit.approve(grant.id, approver);
}
const grants = jit.grantWindows();

console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}`);
measure('decideAccess, 50 rules (17 with a time window), no grants', 200_000, () => decideAccess(rules, query, { clock: systemClock }));
measure('decideAccess, 50 rules + 1000 grants', 100_000, () => decideAccess(rules, query, { clock: systemClock, grants }));
measure('JitAccess.grantWindows(), 1000 grants', 20_000, () => jit.grantWindows());
store.close();
tmp.cleanup();
