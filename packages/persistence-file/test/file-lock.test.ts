import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPersistenceError, type PersistenceError } from '@msal-persist/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heldLockHandlersInstalled } from '../src/held-locks.js';
import { FileLock, parseLockContent, readLockOwner } from '../src/index.js';
import { exited, runFixture, startFixture, tempDir, waitForLine } from './helpers.js';

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

/** A pid that surely is not running: a child that has already exited. */
async function deadPid(): Promise<number> {
  const { pid } = await runFixture<{ pid: number }>('print-pid', []);
  return pid;
}

describe('parseLockContent', () => {
  it.each([
    ['4242 /usr/bin/python3 app.py', 4242, '/usr/bin/python3 app.py'],
    ['77 dotnet', 77, 'dotnet'],
    ['  12\n', 12, ''],
    ['', undefined, ''],
    ['not a pid', undefined, 'not a pid'],
    ['0 zero', undefined, 'zero'],
  ])('reads %j', (content, pid, program) => {
    expect(parseLockContent(content)).toEqual({ pid, program });
  });
});

describe('FileLock', () => {
  it('writes "<pid> <argv>" like the Python and Go extensions, and removes the file on release', async () => {
    const handle = await new FileLock(lockPath).acquire();
    const content = readFileSync(lockPath, 'utf8');
    expect(content.startsWith(`${process.pid} `)).toBe(true);
    expect((await readLockOwner(lockPath))?.pid).toBe(process.pid);
    expect(heldLockHandlersInstalled()).toBe(true);
    await handle.release();
    expect(existsSync(lockPath)).toBe(false);
    expect(heldLockHandlersInstalled()).toBe(false);
  });

  it('creates the lock folder when it is missing', async () => {
    const nested = join(temp.dir, 'x', 'y', 'msal.json.lockfile');
    const handle = await new FileLock(nested).acquire();
    expect(existsSync(nested)).toBe(true);
    await handle.release();
  });

  it('respects a lock held by a live process in the Python format, naming it; breaks it at once when it dies', async () => {
    const child = startFixture('hold-lock', [lockPath]);
    const { pid } = await waitForLine<{ holding: boolean; pid: number }>(child, (v) => v.holding);
    expect(readFileSync(lockPath, 'utf8')).toBe(`${pid} python3`);
    const lock = new FileLock(lockPath, { staleMs: MINUTES });
    const error = await failure(lock.acquire({ timeoutMs: 200 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect(error?.message).toContain(lockPath);
    expect(error?.message).toContain(`process ${pid} (python3)`);

    child.kill('SIGKILL');
    await exited(child);
    expect(existsSync(lockPath)).toBe(true);
    // staleMs is minutes: only the dead-pid check can let this in.
    const handle = await lock.acquire({ timeoutMs: 10_000 });
    expect((await readLockOwner(lockPath))?.pid).toBe(process.pid);
    await handle.release();
  });

  it('breaks a .NET-format lock whose pid is dead', async () => {
    writeFileSync(lockPath, `${await deadPid()} dotnet`);
    const handle = await new FileLock(lockPath, { staleMs: MINUTES }).acquire({ timeoutMs: 10_000 });
    await handle.release();
  });

  it('treats an empty lock (just created) as held until the stale interval passes', async () => {
    writeFileSync(lockPath, '');
    const lock = new FileLock(lockPath, { staleMs: MINUTES });
    const error = await failure(lock.acquire({ timeoutMs: 100 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect(error?.message).toContain('just created');
    const old = new Date(Date.now() - 2 * MINUTES);
    utimesSync(lockPath, old, old);
    const handle = await lock.acquire({ timeoutMs: 10_000 });
    await handle.release();
  });

  it('breaks a lock of a live process that stopped refreshing it for the stale interval', async () => {
    // process.ppid is alive: only the age can make this lock breakable.
    writeFileSync(lockPath, `${process.ppid} frozen`);
    const lock = new FileLock(lockPath, { staleMs: 60_000 });
    expect(isPersistenceError(await failure(lock.acquire({ timeoutMs: 100 })), 'LockTimeout')).toBe(true);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockPath, old, old);
    const handle = await lock.acquire({ timeoutMs: 10_000 });
    await handle.release();
  });

  it('a live holder refreshes its lock, so waiters with a short stale interval do not break it', async () => {
    const holder = new FileLock(lockPath, { staleMs: 600 });
    const handle = await holder.acquire();
    const before = (await readLockOwner(lockPath))?.mtimeMs ?? 0;
    const waiter = new FileLock(lockPath, { staleMs: 600 });
    const error = await failure(waiter.acquire({ timeoutMs: 1_500 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect((await readLockOwner(lockPath))?.mtimeMs).toBeGreaterThan(before);
    await handle.release();
  });

  it('lets exactly one of many waiters take over a dead lock, round after round', async () => {
    const dead = await deadPid();
    for (let round = 0; round < 10; round++) {
      writeFileSync(lockPath, `${dead} crashed`);
      let holders = 0;
      let maxHolders = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const handle = await new FileLock(lockPath, { staleMs: MINUTES }).acquire({ timeoutMs: 20_000 });
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          await new Promise((resolve) => setTimeout(resolve, 2));
          holders--;
          await handle.release();
        }),
      );
      expect(maxHolders).toBe(1);
      expect(existsSync(lockPath)).toBe(false);
      expect(existsSync(`${lockPath}.STALE`)).toBe(false);
    }
  });

  it('processes racing to break one stale lock (live but frozen owner) never hold it together', {
    timeout: 90_000,
  }, async () => {
    const marker = join(temp.dir, 'holder.marker');
    for (let round = 0; round < 3; round++) {
      const start = join(temp.dir, `start-${round}`);
      // A live owner (this test process) that stopped refreshing: only the stale interval breaks it.
      writeFileSync(lockPath, `${process.pid} frozen-writer`);
      const old = new Date(Date.now() - 60_000);
      utimesSync(lockPath, old, old);
      const racers = Array.from({ length: 6 }, () =>
        runFixture<{ violations: number }>('stale-breaker', [lockPath, marker, start, '300', '3']),
      );
      // Let every racer load and wait at the start line, then release them together.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      writeFileSync(start, '');
      const results = await Promise.all(racers);
      expect(results.map((r) => r.violations)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(existsSync(lockPath)).toBe(false);
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('removes a held lock on %s and still dies of the signal', async (signal) => {
    const child = startFixture('lock-holder', [lockPath, 'wait']);
    await waitForLine<{ holding: boolean }>(child, (v) => v.holding);
    expect(existsSync(lockPath)).toBe(true);
    child.kill(signal);
    await exited(child);
    expect(child.signalCode).toBe(signal);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('keeps the lock while an app that handles SIGTERM itself goes on running', async () => {
    const child = startFixture('lock-holder', [lockPath, 'handles']);
    await waitForLine<{ holding: boolean }>(child, (v) => v.holding);
    const signalled = waitForLine<{ signalled: boolean }>(child, (v) => v.signalled);
    child.kill('SIGTERM');
    await signalled;
    // Still mid-work: removing its lock now would let a second writer in.
    expect(existsSync(lockPath)).toBe(true);
    const error = await failure(new FileLock(lockPath, { staleMs: 600_000 }).acquire({ timeoutMs: 100 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    const released = waitForLine<{ released: boolean }>(child, (v) => v.released);
    child.stdin?.write('release\n');
    await released;
    await exited(child);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('breaks at once a lock naming our own pid that this process does not hold (a restarted container)', async () => {
    writeFileSync(lockPath, `${process.pid} node`);
    const handle = await new FileLock(lockPath, { staleMs: 600_000 }).acquire({ timeoutMs: 2_000 });
    await handle.release();
  });

  it('never takes over a lock another FileLock of this process holds', async () => {
    const held = await new FileLock(lockPath, { staleMs: 600_000 }).acquire();
    const error = await failure(new FileLock(lockPath, { staleMs: 600_000 }).acquire({ timeoutMs: 150 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    await held.release();
  });

  it('removes a held lock on a normal exit', async () => {
    const child = startFixture('lock-holder', [lockPath, 'exit']);
    await waitForLine<{ holding: boolean }>(child, (v) => v.holding);
    await exited(child);
    expect(child.exitCode).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('reports a lock folder it cannot create as a typed error', async () => {
    writeFileSync(join(temp.dir, 'file'), 'x');
    const error = await failure(new FileLock(join(temp.dir, 'file', 'sub', 'msal.json.lockfile')).acquire());
    expect(isPersistenceError(error, 'Io')).toBe(true);
  });
});
