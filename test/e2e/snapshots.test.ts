import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFileName } from '../../control-plane/src/snapshot/index.ts';
import { requireEnvoy } from '../helpers/envoy.ts';
import { demoPolicyDocuments } from './demo-services.ts';
import { startStack, type Stack } from './harness.ts';

describe('signed snapshots under traffic', () => {
  requireEnvoy();
  let stack: Stack;
  let token: string;
  let store: string;
  beforeAll(async () => {
    stack = await startStack();
    token = await stack.token();
    store = stack.config.snapshots.source;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const snapshotFiles = () => fs.readdirSync(store).filter((name) => name.endsWith('.note')).sort();

  async function stillServing(): Promise<void> {
    const result = await stack.openai(token).embeddings.create({ model: 'demo-embed', input: 'still here' });
    expect(result.data).toHaveLength(1);
  }

  it('refuses a tampered snapshot and keeps enforcing the last good one', async () => {
    const good = stack.app.active()?.ref.version;
    const [latest] = snapshotFiles().slice(-1);
    const text = fs.readFileSync(path.join(store, latest as string), 'utf8');
    // Widen a limit inside the signed text: the signature and the content hash no longer match.
    const tampered = text.replace('"maxBatchInputs":128', '"maxBatchInputs":129');
    expect(tampered).not.toBe(text);
    const seq = Number(/snapshot-(\d+)-/.exec(latest as string)?.[1]) + 1;
    fs.writeFileSync(path.join(store, snapshotFileName(seq, 'f'.repeat(64))), tampered);
    const outcome = await stack.app.reloadSnapshots();
    expect(outcome.status).toBe('rejected');
    expect(outcome.rejected.map((r) => r.reason)).toEqual(['bad_signature']);
    expect(stack.app.active()?.ref.version).toBe(good);
    await stillServing();
  });

  it('refuses a replayed older snapshot presented under a newer name', async () => {
    const [first] = snapshotFiles();
    const current = stack.app.active()?.ref.version as string;
    await stack.publish(demoPolicyDocuments(stack.upstream.url, stack.issuer));
    const enforced = stack.app.active()?.ref.version as string;
    expect(enforced).not.toBe(current);
    const seq = Number(enforced.split('-')[0]) + 1;
    fs.copyFileSync(path.join(store, first as string), path.join(store, snapshotFileName(seq, 'e'.repeat(64))));
    const outcome = await stack.app.reloadSnapshots();
    expect(outcome.status).toBe('rejected');
    expect(stack.app.active()?.ref.version).toBe(enforced);
    const dump = JSON.stringify(await stack.envoy.configDump());
    expect(dump).toContain(`"version_info":"${enforced}"`);
    await stillServing();
  });
});
