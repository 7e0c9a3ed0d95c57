// A lock's holder that is alive on this host is never broken, however old its lock (Linux: the
// lock records the holder's pid and start time, read back from /proc); a holder whose lock was
// broken anyway (another host or container judged it by age) finds out through verify() before it
// replaces the stored bytes, and neither writes nor removes the lock that replaced its own.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPersistenceError, type PersistenceError } from '@msal-persist/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLock, FilePersistence } from '../src/index.js';
import { currentLockNamespace } from '../src/lock-namespace.js';
import { formatLockContent } from '../src/lock-owner.js';
import { readProcessStat } from '../src/process-stat.js';
import { exited, packageDir, tempDir, unshareUnavailable, waitForLine } from './helpers.js';

let temp: ReturnType<typeof tempDir>;
let lockPath: string;
beforeEach(() => {
  temp = tempDir();
  lockPath = join(temp.dir, 'msal.json.lockfile');
});
afterEach(() => temp.remove());

const MINUTES = 10 * 60_000;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as PersistenceError,
  );
const failureOf = (run: () => unknown) => failure(Promise.resolve().then(run));

/** Writes a lock in this package's format naming `pid`, as another process of this host would. */
function writeLockOf(pid: number, start: string | undefined, holder = 'other-holder'): void {
  writeFileSync(lockPath, formatLockContent(pid, 'other-writer', holder, currentLockNamespace(), start));
}

/** Dates the lock file `ms` in the past: older than any stale interval used here. */
function age(ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(lockPath, then, then);
}

const linux = process.platform === 'linux';

describe.runIf(linux)('a holder alive on this host (pid and start time, Linux)', () => {
  it('writes "<pid> <program>" first, as the other MSAL extensions read it, and its start time on the second line', async () => {
    const handle = await new FileLock(lockPath).acquire();
    const [first, second] = readFileSync(lockPath, 'utf8').split('\n');
    expect(first).toBe(`${process.pid} ${process.argv[1]}`);
    expect(second).toContain(` start=${readProcessStat('self')?.startTicks}`);
    await handle.release();
  });

  it('is never broken by age: waiters time out naming it as alive and busy', async () => {
    // The parent process is alive and not stopped; its lock is two minutes old, staleMs is 1 s.
    writeLockOf(process.ppid, readProcessStat(process.ppid)?.startTicks);
    age(120_000);
    const error = await failure(new FileLock(lockPath, { staleMs: 1_000 }).acquire({ timeoutMs: 2_500 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect(error?.message).toContain(`process ${process.ppid} (other-writer), which is alive on this host and busy`);
    expect((await new FileLock(lockPath).inspect()).state).toBe('held');
  });

  it('is broken at once when its pid now belongs to a process that started later (a reused pid)', async () => {
    const start = Number(readProcessStat(process.ppid)?.startTicks);
    writeLockOf(process.ppid, String(start - 1));
    // Fresh lock, stale interval of minutes: only the start time can tell it is not that holder.
    const handle = await new FileLock(lockPath, { staleMs: MINUTES }).acquire({ timeoutMs: 2_000 });
    await handle.release();
  });

  it.each([
    ['in this format', true],
    ['in the Python format', false],
  ])('is broken at once when it is a zombie (exited, never reaped), %s', async (_, ours) => {
    // sh starts a short sleep in the background, prints its pid and becomes a long `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolve) =>
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
      );
      await expect.poll(() => readProcessStat(pid)?.state, { timeout: 5_000 }).toBe('Z');
      if (ours) writeLockOf(pid, readProcessStat(pid)?.startTicks);
      else writeFileSync(lockPath, `${pid} python3`);
      const handle = await new FileLock(lockPath, { staleMs: MINUTES }).acquire({ timeoutMs: 2_000 });
      await handle.release();
    } finally {
      parent.kill('SIGKILL');
      await exited(parent);
    }
  });
});

describe.runIf(linux && unshareUnavailable() === undefined)(
  'a pid namespace whose /proc shows another namespace',
  () => {
    it('a live holder there is not judged by the wrong /proc: its lock is not broken while it holds', {
      timeout: 60_000,
    }, async () => {
      // `unshare -p` without a new /proc: pids are numbered in the new namespace, /proc in the old.
      // The holder is pid 2 there; /proc/2 is another process, with another start time.
      const node = [process.execPath, '--import', 'tsx', '--conditions=dev-source'].join(' ');
      const script = [
        `${node} test/fixtures/lock-holder.ts ${lockPath} wait ${MINUTES} &`,
        `while [ ! -e ${lockPath} ]; do sleep 0.1; done`,
        `${node} test/fixtures/try-lock.ts ${lockPath} 1500 ${MINUTES}`,
        'kill -9 $!',
      ].join('\n');
      const child = spawn('unshare', ['-p', '-f', '--kill-child', 'sh', '-c', script], {
        cwd: packageDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const result = await waitForLine<{ acquired: boolean; code?: string }>(child, (v) => 'acquired' in v);
        expect(result).toMatchObject({ acquired: false, code: 'LockTimeout' });
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
    });
  },
);

describe('a hold lost to another writer', () => {
  it('verify() passes while held and throws LockLost once another lock replaced it, even at the same inode', async () => {
    const handle = await new FileLock(lockPath).acquire();
    await handle.verify?.();
    expect(handle.verify).toBeTypeOf('function');
    // Rewritten in place: a breaker's new lock may get the freed inode number back.
    writeLockOf(process.pid, undefined, 'the-breaker');
    const error = await failureOf(() => handle.verify?.());
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(error?.message).toContain('Nothing was written');
    // Releasing the lost hold leaves the breaker's lock in place.
    await handle.release();
    expect(readFileSync(lockPath, 'utf8')).toContain('holder=the-breaker');
  });

  it('FilePersistence.save under a lost hold rejects with LockLost and leaves the stored bytes and no temp file', async () => {
    const cachePath = join(temp.dir, 'msal.json');
    const persistence = new FilePersistence(cachePath);
    await persistence.save(new TextEncoder().encode('{"saved":"by B"}'));
    const handle = await new FileLock(lockPath).acquire();
    writeLockOf(process.pid, undefined, 'writer-b');
    const error = await failure(persistence.save(new TextEncoder().encode('{"saved":"by A"}'), { lock: handle }));
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(readFileSync(cachePath, 'utf8')).toBe('{"saved":"by B"}');
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await handle.release();
    expect(existsSync(lockPath)).toBe(true);
  });

  it('a lock naming a live pid but no start time (an older version, no /proc) is still broken by its age', async () => {
    // Without a start time the pid may have been reused: age decides, as before.
    writeLockOf(process.ppid, undefined);
    age(120_000);
    const handle = await new FileLock(lockPath, { staleMs: 1_000 }).acquire({ timeoutMs: 2_500 });
    await handle.release();
  });
});
