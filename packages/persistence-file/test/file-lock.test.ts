import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPersistenceError, type PersistenceError } from '@msal-persist/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heldLockHandlersInstalled } from '../src/held-locks.js';
import { FileLock } from '../src/index.js';
import { parseLockContent, readLockOwner } from '../src/lock-owner.js';
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
    ['0 zero', undefined, '0 zero'],
  ])('reads %j', (content, pid, program) => {
    expect(parseLockContent(content)).toMatchObject({ pid, program });
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
    expect(error?.message).toContain('an empty lock file');
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
    const holder = new FileLock(lockPath, { staleMs: 1_000 });
    const handle = await holder.acquire();
    const before = (await readLockOwner(lockPath))?.mtimeMs ?? 0;
    const waiter = new FileLock(lockPath, { staleMs: 1_000 });
    const error = await failure(waiter.acquire({ timeoutMs: 2_500 }));
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
        runFixture<{ violations: number }>('stale-breaker', [lockPath, marker, start, '1000', '3']),
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

describe('FileLock with bad lock files and options', () => {
  interface TryResult {
    acquired: boolean;
    code?: string;
    name?: string;
    message?: string;
    ticks: number;
  }

  it('never spins when <lock>.STALE is a folder it cannot remove: the deadline holds and timers keep running', {
    timeout: 30_000,
  }, async () => {
    writeFileSync(lockPath, `${await deadPid()} crashed`);
    mkdirSync(`${lockPath}.STALE`);
    writeFileSync(join(`${lockPath}.STALE`, 'keep'), 'x');
    // Old enough to be removed at once (a fresh one is a breaker at work), yet it cannot be.
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${lockPath}.STALE`, old, old);
    const result = await runFixture<TryResult>('try-lock', [lockPath, '1500', String(MINUTES)], { withinMs: 15_000 });
    expect(result).toMatchObject({ acquired: false, code: 'LockTimeout' });
    expect(result.message).toContain(`${lockPath}.STALE`);
    // 1.5 s of waiting with a 50 ms ticker: a starved event loop would not tick at all.
    expect(result.ticks).toBeGreaterThan(5);
  });

  it('removes a leftover empty <lock>.STALE folder by its age and then breaks the dead lock', async () => {
    writeFileSync(lockPath, `${await deadPid()} crashed`);
    mkdirSync(`${lockPath}.STALE`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${lockPath}.STALE`, old, old);
    const handle = await new FileLock(lockPath, { staleMs: MINUTES }).acquire({ timeoutMs: 5_000 });
    await handle.release();
    expect(existsSync(`${lockPath}.STALE`)).toBe(false);
  });

  it.runIf(process.platform !== 'win32')(
    'a FIFO at the lock path fails at once with a typed error; nothing blocks',
    {
      timeout: 30_000,
    },
    async () => {
      execFileSync('mkfifo', [lockPath]);
      const result = await runFixture<TryResult>('try-lock', [lockPath, '5000', String(MINUTES)], { withinMs: 15_000 });
      expect(result).toMatchObject({ acquired: false, code: 'Io' });
      expect(result.message).toContain('FIFO');
      expect(result.message).toContain(lockPath);
    },
  );

  it.each([
    ['unreadable garbage', 'garbage \u0000\u0001 not a pid'],
    ['a live foreign pid', `${process.ppid} some-tool`],
  ])('breaks a lock dated in the future (%s) once seen unchanged for the stale interval', async (_, content) => {
    writeFileSync(lockPath, content);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(lockPath, future, future);
    const handle = await new FileLock(lockPath, { staleMs: 1_000 }).acquire({ timeoutMs: 5_000 });
    await handle.release();
  });

  it.each([
    ['an empty file', '', 'an empty lock file'],
    ['garbage', 'not a pid at all', 'a lock file that names no process ("not a pid at all"'],
  ])('says what the lock is when it is %s', async (_, content, said) => {
    writeFileSync(lockPath, content);
    const error = await failure(new FileLock(lockPath, { staleMs: MINUTES }).acquire({ timeoutMs: 100 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect(error?.message).toContain(said);
    expect(error?.message).not.toContain('just created');
  });

  it('breaks an empty or garbage lock within the default timeout, with the default stale interval', {
    timeout: 30_000,
  }, async () => {
    writeFileSync(lockPath, '');
    // Defaults on both sides: a lock no writer refreshes must not fail the first write.
    const handle = await new FileLock(lockPath).acquire();
    await handle.release();
  });

  it.each([
    [{ staleMs: 0 }, /staleMs must be an integer >= 1000, got 0/],
    [{ staleMs: Number.NaN }, /staleMs must be an integer >= 1000, got NaN/],
    [{ timeoutMs: -1 }, /timeoutMs must be an integer >= 0, got -1/],
    [{ pollMinMs: 0 }, /pollMinMs must be an integer >= 1/],
  ])('refuses %j', (options, message) => {
    expect(() => new FileLock(lockPath, options)).toThrow(message);
  });

  it('refuses a bad timeoutMs at acquire', async () => {
    await expect(new FileLock(lockPath).acquire({ timeoutMs: -1 })).rejects.toThrow(
      /timeoutMs must be an integer >= 0/,
    );
  });

  it.runIf(process.getuid?.() === 0)(
    'names the read-only folder, not a temp file, when the lock cannot be created',
    async () => {
      chmodSync(temp.dir, 0o500);
      try {
        const result = await runFixture<TryResult>('try-lock', [lockPath, '1000', String(MINUTES)], {
          uid: 65534,
          gid: 65534,
        });
        expect(result).toMatchObject({ acquired: false, code: 'AccessDenied' });
        expect(result.message).toContain(`the folder ${temp.dir}`);
        expect(result.message).not.toContain('.tmp');
      } finally {
        chmodSync(temp.dir, 0o700);
      }
    },
  );
});
