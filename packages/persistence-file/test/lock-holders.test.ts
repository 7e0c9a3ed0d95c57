// Who may take over a lock: writers in other containers or hosts (a pid means nothing there),
// other threads and other module copies of this very process (the pid is ours, but the lock is not
// free). Each case here let two writers hold the lock at once before.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  exited,
  runFixture,
  startFixture,
  startInNewPidNamespace,
  tempSpacePerTest,
  unshareUnavailable,
  waitForLine,
} from './helpers.js';

const space = tempSpacePerTest();
const lockPath = () => `${space.cachePath}.lockfile`;

interface TryResult {
  acquired: boolean;
  code?: string;
  message?: string;
  pid: number;
}

/** The pids of live processes whose command line mentions `text` (a test's unique lock path). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Runs a fixture as pid 1 of a new pid namespace to its end, returning its last JSON line. */
async function runInNewPidNamespace<T>(name: string, args: string[]): Promise<T> {
  const child = startInNewPidNamespace(name, args);
  return waitForLine<T>(child, () => true);
}

const noUnshare = unshareUnavailable();

describe('locks from other containers and hosts', () => {
  it.skipIf(noUnshare !== undefined)(
    `two containers whose apps are both pid 1 never hold the lock together${noUnshare ? ` (skipped: ${noUnshare})` : ''}`,
    { timeout: 60_000 },
    async () => {
      // The holder is pid 1 of its own pid namespace, and so is the second writer: the pid in the
      // lock is "ours" to the second writer, but it is another process.
      const holder = startInNewPidNamespace('lock-holder', [lockPath(), 'wait', '2000']);
      try {
        const held = await waitForLine<{ holding: boolean; pid: number }>(holder, (v) => v.holding);
        expect(held.pid).toBe(1);
        // staleMs 2 s: the holder refreshes every ~0.7 s, so a 4 s wait sees a live lock throughout.
        const second = await runInNewPidNamespace<TryResult>('try-lock', [lockPath(), '4000', '2000']);
        expect(second.pid).toBe(1);
        expect(second).toMatchObject({ acquired: false, code: 'LockTimeout' });
        expect(second.message).toContain('another host or container');
      } finally {
        holder.kill('SIGKILL');
        await exited(holder);
      }
      // Killing unshare must end the holder inside the namespace too, not leave it running.
      await expect.poll(() => processesMentioning(lockPath()), { timeout: 5_000 }).toEqual([]);
    },
  );

  it.skipIf(noUnshare !== undefined)(
    `a writer in another pid namespace does not break a live lock whose pid it cannot see${noUnshare ? ` (skipped: ${noUnshare})` : ''}`,
    { timeout: 60_000 },
    async () => {
      const holder = startFixture('lock-holder', [lockPath(), 'wait', '2000']);
      try {
        await waitForLine<{ holding: boolean }>(holder, (v) => v.holding);
        // In the new namespace the holder's pid does not exist: the old code broke the lock at once.
        const second = await runInNewPidNamespace<TryResult>('try-lock', [lockPath(), '4000', '2000']);
        expect(second).toMatchObject({ acquired: false, code: 'LockTimeout' });
      } finally {
        holder.kill('SIGKILL');
        await exited(holder);
      }
    },
  );

  it('a crashed holder that claimed another host is broken only after the stale interval, never by its pid', {
    timeout: 60_000,
  }, async () => {
    const holder = startFixture('lock-holder', [lockPath(), 'wait', '2000', 'host-a/boot-1/4026531836']);
    await waitForLine<{ holding: boolean }>(holder, (v) => v.holding);
    holder.kill('SIGKILL');
    await exited(holder);
    // The pid is dead here, but to a writer of another host that says nothing: it waits until it
    // has seen the lock unchanged for staleMs (2 s) — longer than this 1 s attempt.
    const early = await runFixture<TryResult>('try-lock', [lockPath(), '1000', '2000', 'host-b/boot-2/4026531836']);
    expect(early).toMatchObject({ acquired: false, code: 'LockTimeout' });
    expect(early.message).toContain('another host or container (host-a/boot-1/4026531836');
    const patient = await runFixture<TryResult>('try-lock', [lockPath(), '8000', '2000', 'host-b/boot-2/4026531836']);
    expect(patient.acquired).toBe(true);
  });

  it('the same crashed holder is broken at once by a writer of its own host (its pid is known dead)', {
    timeout: 60_000,
  }, async () => {
    const holder = startFixture('lock-holder', [lockPath(), 'wait', '600000', 'host-a/boot-1/4026531836']);
    await waitForLine<{ holding: boolean }>(holder, (v) => v.holding);
    holder.kill('SIGKILL');
    await exited(holder);
    const sameHost = await runFixture<TryResult>('try-lock', [
      lockPath(),
      '1000',
      '600000',
      'host-a/boot-1/4026531836',
    ]);
    expect(sameHost.acquired).toBe(true);
  });
});

describe('several holders in one process', () => {
  it('a lock held by a worker thread is not taken by the main thread', { timeout: 60_000 }, async () => {
    const result = await runFixture<{ whileHeld: string; afterRelease: string }>('thread-holders', [lockPath()]);
    expect(result).toEqual({ whileHeld: 'LockTimeout', afterRelease: 'acquired' });
  });

  it('a lock held through the ESM copy of the package is not taken through the CJS copy', {
    timeout: 60_000,
  }, async () => {
    const result = await runFixture<{ distinctCopies: boolean; whileHeld: string; afterRelease: string }>(
      'two-copies',
      [lockPath()],
    );
    expect(result).toEqual({ distinctCopies: true, whileHeld: 'LockTimeout', afterRelease: 'acquired' });
  });
});
