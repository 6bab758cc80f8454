import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../control-plane/src/audit/index.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

describe('checkpoint order across writers', () => {
  it('refuses to store a checkpoint smaller than one already stored, atomically', async () => {
    const tmp = makeTempDir();
    const file = path.join(tmp.dir, 'audit.sqlite');
    // Two connections, like two processor processes sharing one log.
    const fast = openSqliteStore(file);
    const slow = openSqliteStore(file);
    try {
      expect(await fast.addCheckpoint({ size: 10, timeMs: 2, note: 'newer' })).toBe(1);
      expect(await slow.addCheckpoint({ size: 8, timeMs: 1, note: 'older view' })).toBeUndefined();
      expect(await slow.addCheckpoint({ size: 10, timeMs: 3, note: 'same size, heartbeat' })).toBe(2);
      expect((await fast.listCheckpoints()).map((c) => c.size)).toEqual([10, 10]);
    } finally {
      await fast.close();
      await slow.close();
      tmp.cleanup();
    }
  });
});
