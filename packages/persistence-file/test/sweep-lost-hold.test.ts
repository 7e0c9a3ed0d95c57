// The folder sweep deletes a partition only while its lock is still its own. A sweep frozen under
// a partition's lock (SIGSTOP, a debugger, a long GC) for longer than staleMs can lose that lock to
// a writer of another host or container, which judges it by age alone; that writer then saves
// fresh tokens. Resumed, the sweep must find its hold gone and delete nothing, as a writer's save
// would (LockLost), and go on with the other partitions. Real processes, real signals, real locks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToText } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { FolderPartitionedStore, partitionFileName } from '../src/index.js';
import { exited, processState, startFixture, tempSpacePerTest, waitForLine } from './helpers.js';

const space = tempSpacePerTest();
const text = (value: string) => new TextEncoder().encode(value);

interface SweepOutcome {
  done: boolean;
  result: {
    scanned: number;
    deleted: number;
    kept: number;
    busy: number;
    failed: number;
    errors: { code: string; message: string }[];
  };
}

const STALE_MS = 1_000;

describe('a sweep frozen inside a partition hold that another host broke', () => {
  it("deletes nothing under the lost hold: the writer's fresh tokens stay, the partition counts as busy, and the sweep goes on", {
    timeout: 60_000,
  }, async () => {
    const dir = join(space.dir, 'partitions');
    // The writer's locks name another host than the sweep's: each can judge the other's only by age.
    const store = new FolderPartitionedStore({ dir, lock: { staleMs: STALE_MS, namespace: 'writer-host/boot/2' } });
    const keys = ['user:ada', 'user:bo'];
    for (const key of keys) await store.partition(key).persistence.save(text('{"Account":{},"AccessToken":{}}'));

    const sweep = startFixture('frozen-sweep', [dir, String(STALE_MS), 'sweeper-host/boot/1']);
    try {
      const outcome = waitForLine<SweepOutcome>(sweep, (line) => line.done);
      outcome.catch(() => undefined);
      const { file } = await waitForLine<{ pausing: boolean; file: string }>(sweep, (line) => line.pausing);
      const pid = sweep.pid ?? 0;
      process.kill(pid, 'SIGSTOP');
      await expect.poll(() => processState(pid), { timeout: 10_000 }).toBe('T');

      // The partition the sweep froze on: its lock is silent, so the writer breaks it once it has
      // seen it unchanged for staleMs, and saves fresh tokens under its own hold.
      const key = keys.find((candidate) => partitionFileName(candidate) === file);
      if (key === undefined) throw new Error(`the sweep paused on an unknown file ${file}`);
      const { persistence, lock } = store.partition(key);
      const handle = await lock.acquire({ timeoutMs: 15_000 });
      try {
        await persistence.save(text('{"fresh":"tokens saved after the break"}'), { lock: handle });
      } finally {
        await handle.release();
      }

      process.kill(pid, 'SIGCONT');
      sweep.stdin?.write('\n');
      const { result } = await outcome;
      expect(bytesToText((await persistence.load()) ?? new Uint8Array())).toBe(
        '{"fresh":"tokens saved after the break"}',
      );
      expect(result).toMatchObject({ scanned: 2, deleted: 1, kept: 0, busy: 1, failed: 0, errors: [] });
      // The other partition, whose hold nobody took, was swept as usual.
      const other = keys.find((candidate) => candidate !== key) ?? '';
      expect(existsSync(join(dir, partitionFileName(other)))).toBe(false);
    } finally {
      sweep.kill('SIGKILL');
      await exited(sweep);
    }
  });
});
