import { randomBytes } from 'node:crypto';
import { type BigIntStats, promises as fsp, linkSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { delay, type Lock, type LockAcquireOptions, type LockHandle, PersistenceError } from '@msal-persist/core';
import { createExclusive, inodeOf, removeIfOwned } from './exclusive-file.js';
import { toFileError } from './file-errors.js';
import { isHeldHere, trackHeldLock } from './held-locks.js';
import { isProcessAlive, type LockOwner, readLockOwner } from './lock-owner.js';

/**
 * Options for {@link FileLock}.
 *
 * @example
 * ```ts
 * const options: FileLockOptions = { staleMs: 60_000, timeoutMs: 5_000 };
 * ```
 */
export interface FileLockOptions {
  /**
   * A lock not refreshed for this long is broken. A live holder refreshes its lock every
   * `staleMs / 3`, so only a frozen or foreign holder gets there. Default 30 000.
   */
  staleMs?: number;
  /** Default for `acquire()` when it is given no `timeoutMs`. Default 15 000. */
  timeoutMs?: number;
  /** First poll delay while waiting, in ms. Default 2. */
  pollMinMs?: number;
  /** Longest poll delay; delays grow from `pollMinMs` to this, each jittered. Default 50. */
  pollMaxMs?: number;
}

/** What this process writes into its lock files, in the Python/Go extensions' format. */
const OWNER_LINE = `${process.pid} ${process.argv[1] ?? process.argv0}`;

function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return 'a writer that has just released it';
  if (owner.pid === undefined) return 'a writer that has just created it';
  return `process ${owner.pid}${owner.program ? ` (${owner.program})` : ''}`;
}

function errnoCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * A cross-process lock on `<cache>.lockfile`, compatible with the other MSAL extensions: the file
 * is created exclusively and starts with the holder's pid. Waiters poll with short, growing,
 * jittered delays. A lock whose holder died (same host, pid gone) is broken at once; one not
 * refreshed for `staleMs` is broken too; a single breaker at a time (guarded by `<lock>.STALE`)
 * re-checks the inode, so two waiters never both take over a stale lock. Held locks are removed
 * on release, on exit and on SIGINT/SIGTERM/SIGHUP.
 *
 * @example
 * ```ts
 * const lock = new FileLock('/home/me/.cache/my-app/msal.json.lockfile');
 * const handle = await lock.acquire({ timeoutMs: 5_000 });
 * try { await persistence.save(bytes); } finally { await handle.release(); }
 * ```
 */
export class FileLock implements Lock {
  /** Path of the lock file. */
  readonly path: string;
  /** Name used in errors. */
  readonly name: string;
  private readonly staleMs: number;
  private readonly timeoutMs: number;
  private readonly pollMinMs: number;
  private readonly pollMaxMs: number;

  constructor(lockPath: string, options: FileLockOptions = {}) {
    this.path = lockPath;
    this.name = `filelock:${lockPath}`;
    this.staleMs = options.staleMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.pollMinMs = Math.max(1, options.pollMinMs ?? 2);
    this.pollMaxMs = Math.max(this.pollMinMs, options.pollMaxMs ?? 50);
  }

  async acquire(options: LockAcquireOptions = {}): Promise<LockHandle> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (signal?.aborted) throw this.aborted(signal.reason);
    const deadline = Date.now() + timeoutMs;
    return this.poll(deadline, timeoutMs, signal);
  }

  private async poll(deadline: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<LockHandle> {
    let delay = this.pollMinMs;
    let attempted = false;
    let known: LockOwner | undefined;
    for (;;) {
      // The signal may have fired during file I/O, when no sleep was listening.
      if (signal?.aborted) throw this.aborted(signal.reason);
      // Look before creating: while someone holds the lock, a poll costs one stat (and one read
      // per new holder) instead of a temp file, a link attempt and an unlink in the cache folder.
      let owner = attempted ? await this.peekOwner(known) : undefined;
      known = owner;
      if (owner === undefined) {
        attempted = true;
        const handle = this.tryCreate();
        if (handle) return handle;
        owner = await this.readOwner();
        if (owner === undefined) continue;
      }
      if (this.isBreakable(owner)) {
        await this.breakLock(owner);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PersistenceError(
          'LockTimeout',
          `Timed out after ${timeoutMs} ms waiting for the lock ${this.path}, held by ${describeOwner(owner)}. ` +
            'If that process is stuck, end it (a lock left by a dead process is removed automatically), then retry.',
          { backend: this.name },
        );
      }
      // Polls, jittered and growing, and no file-system watch: a watch wakes every waiter at each
      // handoff, and that herd cut throughput by a third with 16 writers on 2 cores, also when
      // watching only the lock file (measured with `pnpm bench`). Short holds are caught by the early short
      // polls; long queues poll at most every `pollMaxMs`.
      await this.sleep(Math.min(left, delay * (0.5 + Math.random() * 0.5)), signal);
      delay = Math.min(this.pollMaxMs, delay * 1.5);
    }
  }

  /**
   * The new lock's handle, or `undefined` when someone else holds it. Synchronous from create to
   * registration, so no other acquirer in this process can see our pid on a lock not yet marked
   * as held here (and take it for a dead predecessor's).
   */
  private tryCreate(): LockHandle | undefined {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.handle(createExclusive(this.path, OWNER_LINE));
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'EEXIST') return undefined;
        if (code === 'ENOENT' && attempt === 0) {
          try {
            mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
          } catch {
            // Reported by the retry below.
          }
          continue;
        }
        throw toFileError(error, this.name, `create the lock file ${this.path}`);
      }
    }
  }

  /** The current owner; re-reads the file only when its inode differs from the one already read. */
  private async peekOwner(known: LockOwner | undefined): Promise<LockOwner | undefined> {
    let stats: BigIntStats | undefined;
    try {
      stats = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    } catch (error) {
      throw toFileError(error, this.name, `read the lock file ${this.path}`);
    }
    if (!stats) return undefined;
    if (known && known.ino === stats.ino && known.pid !== undefined)
      return { ...known, mtimeMs: Number(stats.mtimeMs) };
    return this.readOwner();
  }

  private async readOwner(): Promise<LockOwner | undefined> {
    try {
      return await readLockOwner(this.path);
    } catch (error) {
      throw toFileError(error, this.name, `read the lock file ${this.path}`);
    }
  }

  private isBreakable(owner: LockOwner): boolean {
    if (owner.pid === process.pid) {
      if (!isHeldHere(this.path, owner.ino)) return true;
    } else if (owner.pid !== undefined && !isProcessAlive(owner.pid)) {
      return true;
    }
    // A live, empty (just created) or foreign-format lock is broken only when nobody refreshed it.
    return Date.now() - owner.mtimeMs > this.staleMs;
  }

  /**
   * Removes the lock `judged` stale, unless it changed meanwhile. Breakers take turns through
   * `<lock>.STALE`, and move the lock aside under a unique name before deleting it, so a breaker
   * that lost the race can tell (by inode) that it grabbed a fresh lock, and put it back.
   */
  private async breakLock(judged: LockOwner): Promise<void> {
    const breakerPath = `${this.path}.STALE`;
    let breakerIno: bigint | undefined;
    try {
      breakerIno = createExclusive(breakerPath, OWNER_LINE);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw toFileError(error, this.name, `create ${breakerPath}`);
      await this.clearDeadBreaker(breakerPath);
      return;
    }
    try {
      const current = await this.readOwner();
      if (!current || current.ino !== judged.ino || !this.isBreakable(current)) return;
      const aside = `${this.path}.broken-${process.pid}-${randomBytes(4).toString('hex')}`;
      // From here on synchronous, back to back: the windows below are a few µs wide.
      try {
        renameSync(this.path, aside);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return;
        throw toFileError(error, this.name, `break the stale lock ${this.path}`);
      }
      if (inodeOf(aside) !== judged.ino) {
        // Its holder released and a new writer locked between our check and the rename: give it
        // back. Should a third writer have created the lock in these µs, the give-back fails and
        // two writers hold it; the save that follows is still atomic, so the cache stays valid and
        // at worst one writer's update is overwritten by the other's.
        try {
          linkSync(aside, this.path);
        } catch {
          // See above.
        }
      }
      try {
        unlinkSync(aside);
      } catch {
        // Already gone.
      }
    } finally {
      await removeIfOwned(breakerPath, breakerIno);
    }
  }

  /** A breaker holds `.STALE` for a few file operations; one left by a dead or frozen process is removed. */
  private async clearDeadBreaker(breakerPath: string): Promise<void> {
    const breaker = await readLockOwner(breakerPath).catch(() => undefined);
    if (!breaker) return;
    const dead = breaker.pid !== undefined && breaker.pid !== process.pid && !isProcessAlive(breaker.pid);
    if (dead || Date.now() - breaker.mtimeMs > Math.min(this.staleMs, 2_000)) {
      await removeIfOwned(breakerPath, breaker.ino);
    } else {
      await this.sleep(this.pollMinMs, undefined);
    }
  }

  private handle(ino: bigint): LockHandle {
    const untrack = trackHeldLock(this.path, ino);
    const refresh = setInterval(
      () => {
        if (inodeOf(this.path) !== ino) return;
        const now = new Date();
        fsp.utimes(this.path, now, now).catch(() => undefined);
      },
      Math.max(10, Math.floor(this.staleMs / 3)),
    );
    refresh.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(refresh);
        untrack();
        await removeIfOwned(this.path, ino);
      },
    };
  }

  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return delay(ms, signal, (reason) => this.aborted(reason));
  }

  private aborted(reason: unknown): PersistenceError {
    return new PersistenceError('Aborted', `Stopped waiting for the lock ${this.path}: the operation was aborted.`, {
      backend: this.name,
      cause: reason,
    });
  }
}
