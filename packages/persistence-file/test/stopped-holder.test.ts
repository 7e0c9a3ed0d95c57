// A writer stopped inside its hold (kill -STOP: Ctrl-Z, a debugger, `docker pause`) and resumed
// later (kill -CONT) must never overwrite what another writer saved and was told was saved.
// On this host its lock is never broken while it lives: the others wait and time out. From another
// pid namespace (a container sharing the volume) only the lock's age can be judged, so the other
// writer breaks it; the stopped one then finds its lock gone right before replacing the file and
// fails with LockLost, writing nothing. Real processes, real signals, real msal-node.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  childPidOf,
  exited,
  processState,
  runFixture,
  type StoredCache,
  secretsOf,
  startFixture,
  startInNewPidNamespace,
  tempSpacePerTest,
  unshareUnavailable,
  waitForLine,
} from './helpers.js';

const space = tempSpacePerTest();

interface WriterResult {
  done: boolean;
  ok: boolean;
  code?: string;
  message?: string;
  token?: string;
  pid: number;
}

type Mode = 'msal' | 'direct';
const STALE_MS = '2000';

/** What the cache holds: msal's access-token secrets, or the direct writers' labels. */
function storedTokens(mode: Mode): Set<string> {
  const text = readFileSync(space.cachePath, 'utf8');
  return mode === 'msal' ? secretsOf(JSON.parse(text) as StoredCache) : new Set(JSON.parse(text) as string[]);
}

/**
 * Starts writer A, waits until it is inside its hold, stops it with SIGSTOP and returns it with its
 * pid as seen from here and its final line (after {@link resume}).
 */
async function startStoppedWriter(mode: Mode, where: 'here' | 'other-namespace') {
  const args = [space.cachePath, 'stop', mode, STALE_MS, '60000', 'writer-a'];
  const child: ChildProcess =
    where === 'here' ? startFixture('stopped-writer', args) : startInNewPidNamespace('stopped-writer', args);
  const result = waitForLine<WriterResult>(child, (v) => v.done);
  result.catch(() => undefined);
  await waitForLine<{ stopping: boolean }>(child, (v) => v.stopping);
  const pid = where === 'here' ? child.pid : childPidOf(child.pid ?? 0);
  if (pid === undefined) throw new Error('writer A has no pid');
  process.kill(pid, 'SIGSTOP');
  await expect.poll(() => processState(pid), { timeout: 10_000 }).toBe('T');
  return { child, pid, result };
}

/** Resumes A (SIGCONT) and lets it go on from where it paused inside its hold. */
function resume(a: { child: ChildProcess; pid: number }): void {
  process.kill(a.pid, 'SIGCONT');
  a.child.stdin?.write('\n');
}

const runWriterB = (mode: Mode, timeoutMs: number, label = 'writer-b') =>
  runFixture<WriterResult>('stopped-writer', [space.cachePath, 'plain', mode, STALE_MS, String(timeoutMs), label], {
    withinMs: timeoutMs + 30_000,
  });

describe.each<Mode>(['msal', 'direct'])('a writer stopped inside its hold (%s)', (mode) => {
  it('on the same host: the others wait for it and time out naming it as stopped; resumed, it saves, and nothing acknowledged is lost', {
    timeout: 90_000,
  }, async () => {
    const a = await startStoppedWriter(mode, 'here');
    try {
      // staleMs is 2 s and B waits 5 s: only the age of A's lock could let B in.
      const b = await runWriterB(mode, 5_000);
      expect(b).toMatchObject({ ok: false, code: 'LockTimeout' });
      expect(b.message).toContain(`process ${a.pid}`);
      expect(b.message).toContain('stopped');
      resume(a);
      const resumed = await a.result;
      expect(resumed).toMatchObject({ ok: true });
      // Once A is done, the next writer gets in and both tokens are stored.
      const later = await runWriterB(mode, 10_000, 'writer-c');
      expect(later).toMatchObject({ ok: true });
      const stored = storedTokens(mode);
      expect(stored.has(resumed.token ?? '?')).toBe(true);
      expect(stored.has(later.token ?? '?')).toBe(true);
    } finally {
      // SIGKILL ends a stopped process too.
      a.child.kill('SIGKILL');
      await exited(a.child);
    }
  });

  const noUnshare = unshareUnavailable();
  it.skipIf(noUnshare !== undefined)(
    `from another pid namespace: the other writer breaks the silent lock and saves; resumed, the stopped one fails with LockLost and B's token survives${noUnshare ? ` (skipped: ${noUnshare})` : ''}`,
    { timeout: 90_000 },
    async () => {
      const a = await startStoppedWriter(mode, 'other-namespace');
      try {
        const b = await runWriterB(mode, 15_000);
        expect(b).toMatchObject({ ok: true });
        resume(a);
        const resumed = await a.result;
        const stored = storedTokens(mode);
        expect([...stored], "B's acknowledged token is still stored, and nothing else").toEqual([b.token]);
        expect(resumed).toMatchObject({ ok: false, code: 'LockLost' });
      } finally {
        a.child.kill('SIGKILL');
        await exited(a.child);
      }
    },
  );
});
