import { randomBytes } from 'node:crypto';
import {
  type BigIntStats,
  promises as fsp,
  linkSync,
  mkdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { dirname } from 'node:path';
import {
  checkNumberOption,
  delay,
  type Lock,
  type LockAcquireOptions,
  type LockHandle,
  PersistenceError,
} from '@msal-persist/core';
import { createExclusive, inodeOf, removeIfOwned } from './exclusive-file.js';
import { errnoOf, toFileError } from './file-errors.js';
import { isHeldHere, trackHeldLock } from './held-locks.js';
import { currentLockNamespace } from './lock-namespace.js';
import {
  formatLockContent,
  isLockStillHeld,
  isProcessAlive,
  type LockOwner,
  readLockOwner,
  removeLockIfHeld,
} from './lock-owner.js';
import { ownStartTicks, readProcessStat } from './process-stat.js';
import { resolvePath } from './resolve-path.js';

/**
 * Options for {@link FileLock}.
 *
 * @example
 * ```ts
 * const options: FileLockOptions = { staleMs: 10_000, timeoutMs: 15_000 };
 * ```
 */
export interface FileLockOptions {
  /**
   * A lock seen unchanged for this long is broken, unless its holder is known to be alive: a
   * holder on this host and pid namespace whose process is running (matched by pid and start time,
   * on Linux) is never broken, however long it holds. A live holder refreshes its lock every
   * `staleMs / 3`, so only a crashed, frozen or foreign holder gets there. Default 10 000 (less
   * than the default timeout, so a lock left by a crash never fails the first writes); at least 1 000.
   */
  staleMs?: number;
  /** Default for `acquire()` when it is given no `timeoutMs`. Default 15 000. */
  timeoutMs?: number;
  /** First poll delay while waiting, in ms. Default 2. */
  pollMinMs?: number;
  /**
   * Longest poll delay; delays grow from `pollMinMs` to this (×1.5 per poll, each jittered), so
   * only a waiter that has already waited about 300 ms polls this rarely. Default 100.
   */
  pollMaxMs?: number;
  /**
   * Identity of the host and pid namespace this process runs in, written into the lock so that
   * only writers in the same namespace trust its pid. Default: hostname, boot id and pid namespace.
   * Override only when those cannot tell your hosts apart (or in tests).
   */
  namespace?: string;
}

/**
 * What {@link FileLock.inspect} found at the lock path.
 *
 * @example
 * ```ts
 * const state: FileLockState = await new FileLock(lockPath).inspect();
 * if (state.state === 'held') console.log(`held by ${state.pid} ${state.sameNamespace ? 'here' : 'elsewhere'}`);
 * ```
 */
export interface FileLockState {
  /** `free`: no lock file; `held`: a holder owns it; `stale`: the next writer will break it. */
  state: 'free' | 'held' | 'stale';
  /** The holder's pid, when the file names one. */
  pid?: number;
  /** The holder's program, as written on the lock's first line. */
  program?: string;
  /** Whether the pid belongs to this host and pid namespace (`undefined`: a foreign-format lock). */
  sameNamespace?: boolean;
  /** Milliseconds since the holder last refreshed the lock (0 when its time is ahead of ours). */
  ageMs?: number;
  /** What the lock is, in words. */
  description?: string;
}

/** When this process started: a lock naming our pid and our namespace that is older was left by a predecessor. */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000;

/** A lock file younger than this is a handoff in progress: waiters do not read or judge it yet. */
const JUDGE_AFTER_MS = 100;
/** How often a waiter re-judges the same lock (reads its owner once, checks its pid, its age). */
const JUDGE_EVERY_MS = 100;

/** What the pid of a lock says about its holder: `unknown` leaves the judgement to the lock's age. */
type Liveness = 'dead' | 'alive' | 'unknown';

/** How the break of a stale lock went. */
type BreakOutcome = { done: true } | { done: false; blockedBy?: string };

/**
 * A cross-process lock on `<cache>.lockfile`, compatible with the other MSAL extensions: the file
 * is created exclusively and starts with the holder's pid. Waiters poll with short, growing,
 * jittered delays, and check their deadline on every path.
 *
 * Who may break a lock: one naming a dead (or zombie) pid of this host and pid namespace, at once;
 * one whose pid now belongs to a process that started later than the holder (the pid was reused),
 * at once; one naming our own pid that was written before this process started (a predecessor that
 * had our pid), at once. A holder that is alive on this host and pid namespace — its pid and start
 * time match, read from `/proc` — is never broken, however long it holds (stopped by Ctrl-Z or a
 * debugger, busy in a long synchronous task): waiters time out with a `LockTimeout` naming it.
 * Anything else — a lock from another host or container, one from another MSAL extension or an
 * older version (no start time), any lock where there is no `/proc` (macOS, Windows), an empty or
 * unrecognised file — is broken once seen unchanged for `staleMs` (a live holder refreshes it).
 * Because such a holder may only be frozen, its handle's `verify()` checks that the lock file is
 * still its own (inode and holder token); persistences call it right before they replace the
 * stored bytes, and fail with `LockLost` instead of overwriting a newer save. A single breaker at
 * a time (guarded by `<lock>.STALE`) re-checks the inode, so two waiters never both take over a
 * stale lock. Held locks are removed on release, on exit and on SIGINT/SIGTERM/SIGHUP.
 *
 * @example
 * ```ts
 * const lock = new FileLock('/home/me/.cache/my-app/msal.json.lockfile');
 * const handle = await lock.acquire({ timeoutMs: 5_000 });
 * try { await persistence.save(bytes, { lock: handle }); } finally { await handle.release(); }
 * ```
 */
export class FileLock implements Lock {
  /** Absolute path of the lock file. */
  readonly path: string;
  /** Name used in errors. */
  readonly name: string;
  private readonly staleMs: number;
  private readonly timeoutMs: number;
  private readonly pollMinMs: number;
  private readonly pollMaxMs: number;
  private readonly namespace: string;
  /** The lock file last seen, and since when it has not changed: age for locks whose clock we cannot trust. */
  private observed: { ino: bigint; mtimeMs: number; since: number } | undefined;

  constructor(lockPath: string, options: FileLockOptions = {}) {
    this.path = resolvePath(lockPath, 'lockPath');
    this.name = `filelock:${this.path}`;
    this.staleMs = checkNumberOption('staleMs', options.staleMs, 10_000, { min: 1_000 });
    this.timeoutMs = checkNumberOption('timeoutMs', options.timeoutMs, 15_000, { min: 0 });
    this.pollMinMs = checkNumberOption('pollMinMs', options.pollMinMs, 2, { min: 1 });
    this.pollMaxMs = checkNumberOption('pollMaxMs', options.pollMaxMs, Math.max(100, this.pollMinMs), {
      min: this.pollMinMs,
    });
    if (options.namespace !== undefined && !/^[\w.:/-]+$/.test(options.namespace)) {
      throw new TypeError(
        `namespace must be letters, digits and . : / _ - only, got ${JSON.stringify(options.namespace)}.`,
      );
    }
    this.namespace = options.namespace ?? currentLockNamespace();
  }

  async acquire(options: LockAcquireOptions = {}): Promise<LockHandle> {
    const { signal } = options;
    const timeoutMs = checkNumberOption('timeoutMs', options.timeoutMs, this.timeoutMs, { min: 0 });
    if (signal?.aborted) throw this.aborted(signal.reason);
    const deadline = Date.now() + timeoutMs;
    let delayMs = this.pollMinMs;
    let attempted = false;
    let known: LockOwner | undefined;
    let blockedBy: string | undefined;
    /** The lock file being waited on: its inode, since when we have seen it, when it was last judged. */
    let seen: { ino: bigint; since: number; judged: number } | undefined;
    for (let round = 0; ; round++) {
      // The signal may have fired during file I/O, when no sleep was listening.
      if (signal?.aborted) throw this.aborted(signal.reason);
      if (round > 0 && Date.now() >= deadline) throw this.timedOut(timeoutMs, known, blockedBy);
      // Look before creating: while someone holds the lock, a poll costs one stat instead of a
      // link attempt in the cache folder.
      let current = attempted ? this.statLock() : undefined;
      if (current === undefined) {
        attempted = true;
        const handle = this.tryCreate();
        if (handle) return handle;
        current = this.statLock();
        // Released between our link and our look: try again at once.
        if (current === undefined) continue;
      }
      const now = Date.now();
      if (seen?.ino !== current.ino) {
        seen = { ino: current.ino, since: now, judged: Number.NEGATIVE_INFINITY };
        known = undefined;
      }
      // Judge a lock (read its owner, check its pid) only once it is not brand new, and then at
      // most every JUDGE_EVERY_MS: most locks a waiter sees are handoffs held for a few ms, and
      // reading each in every waiter cost 3-4 % of the CPU with 16 writers on 2 cores. A lock left
      // by a crash is old, so it is still judged (and its dead pid found) at first sight.
      const settled = now - seen.since >= JUDGE_AFTER_MS || now - current.mtimeMs >= JUDGE_AFTER_MS;
      if (settled && now - seen.judged >= JUDGE_EVERY_MS) {
        seen.judged = now;
        const owner = known?.kind === 'owner' ? { ...known, mtimeMs: current.mtimeMs } : this.readOwner();
        if (owner === undefined) continue;
        known = owner;
        if (this.isBreakable(owner)) {
          const outcome = this.breakLock(owner);
          if (outcome.done) {
            // Progress: try again at once, but let timers and I/O run between rounds.
            blockedBy = undefined;
            delayMs = this.pollMinMs;
            await new Promise<void>((resolve) => setImmediate(resolve));
            continue;
          }
          blockedBy = outcome.blockedBy;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw this.timedOut(timeoutMs, known, blockedBy);
      // Polls, jittered and growing, and no file-system watch: a watch wakes every waiter at each
      // handoff, and that herd cut throughput by a third with 16 writers on 2 cores, also when
      // watching only the lock file (measured with `pnpm bench`). Short holds are caught by the early short
      // polls; long queues poll at most every `pollMaxMs`.
      await delay(Math.min(left, delayMs * (0.5 + Math.random() * 0.5)), signal, (reason) => this.aborted(reason));
      delayMs = Math.min(this.pollMaxMs, delayMs * 1.5);
    }
  }

  /**
   * What is at the lock path now, for diagnostics (`msal-persist inspect`): free, held (by whom,
   * here or elsewhere) or stale. Never changes anything.
   *
   * @example
   * ```ts
   * const { state, pid } = await new FileLock(`${cachePath}.lockfile`).inspect();
   * ```
   */
  async inspect(): Promise<FileLockState> {
    const owner = this.readOwner();
    if (!owner) return { state: 'free' };
    const now = Date.now();
    return {
      state: this.isBreakable(owner) ? 'stale' : 'held',
      ...(owner.pid === undefined ? {} : { pid: owner.pid }),
      ...(owner.program ? { program: owner.program } : {}),
      ...(owner.namespace === undefined ? {} : { sameNamespace: owner.namespace === this.namespace }),
      ageMs: Math.max(0, now - owner.mtimeMs),
      description: this.describe(owner),
    };
  }

  /**
   * The new lock's handle, or `undefined` when someone else holds it. Synchronous from create to
   * registration, so no other acquirer in this realm can see our holder token on a lock not yet
   * marked as held here.
   */
  private tryCreate(): LockHandle | undefined {
    const holder = randomBytes(8).toString('hex');
    const content = formatLockContent(
      process.pid,
      process.argv[1] ?? process.argv0,
      holder,
      this.namespace,
      ownStartTicks(),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        return this.handle(createExclusive(this.path, content), holder);
      } catch (error) {
        const { code } = errnoOf(error);
        if (code === 'EEXIST') return undefined;
        if (code === 'ENOENT' && attempt === 0) {
          try {
            mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
          } catch {
            // Reported by the retry below.
          }
          continue;
        }
        // The failing file is a temp file of ours: name the folder the user can fix.
        throw toFileError(error, this.name, `create the lock file ${this.path}`, `the folder ${dirname(this.path)}`);
      }
    }
  }

  /** Inode and modification time of the lock file, or `undefined` when there is none. */
  private statLock(): { ino: bigint; mtimeMs: number } | undefined {
    let stats: BigIntStats | undefined;
    try {
      stats = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    } catch (error) {
      throw toFileError(error, this.name, `read the lock file ${this.path}`);
    }
    return stats && { ino: stats.ino, mtimeMs: Number(stats.mtimeMs) };
  }

  private readOwner(): LockOwner | undefined {
    try {
      return readLockOwner(this.path);
    } catch (error) {
      throw toFileError(error, this.name, `read the lock file ${this.path}`);
    }
  }

  /**
   * How long the lock has gone without a refresh, as far as we can tell. The file's time counts
   * only when it comes from our own clock (this host) and is not ahead of it (clock skew, a
   * restored backup); otherwise only what we watched ourselves: unchanged since we first saw it.
   */
  private ageOf(owner: LockOwner): number {
    const now = Date.now();
    const seen = this.observed;
    if (!seen || seen.ino !== owner.ino || seen.mtimeMs !== owner.mtimeMs) {
      this.observed = { ino: owner.ino, mtimeMs: owner.mtimeMs, since: now };
    }
    const watched = now - (this.observed?.since ?? now);
    const ourClock = owner.namespace === undefined || owner.namespace === this.namespace;
    const byFileTime = ourClock && owner.mtimeMs <= now ? now - owner.mtimeMs : 0;
    return Math.max(watched, byFileTime);
  }

  private isBreakable(owner: LockOwner): boolean {
    if (owner.kind === 'owner' && owner.pid !== undefined) {
      const pidIsOurs = owner.namespace === undefined || owner.namespace === this.namespace;
      if (pidIsOurs && owner.pid === process.pid) {
        // A holder in this realm (this or another copy of this module) holds it: wait for its release.
        if (isHeldHere(this.path, owner.holder)) return false;
        if (owner.namespace === undefined) return true;
        // A predecessor that had our pid (a restarted container's pid 1) is dead: its start time
        // differs from ours, or, without start times, it wrote the lock before we started. Else
        // another thread of this process holds it and refreshes it while it runs; a thread that
        // ended without releasing cannot be told apart, so that lock is still judged by its age.
        const ours = ownStartTicks();
        if (owner.start !== undefined && ours !== undefined) {
          if (owner.start !== ours) return true;
        } else if (owner.mtimeMs < PROCESS_START_MS - 1_000) {
          return true;
        }
      } else if (pidIsOurs) {
        const liveness = this.livenessOf(owner, owner.pid);
        if (liveness !== 'unknown') return liveness === 'dead';
      }
    }
    return this.ageOf(owner) > this.staleMs;
  }

  /**
   * Whether the holder named by a lock of this host and pid namespace still runs. `alive` only when
   * the lock records its start time and the process with that pid started then: a pid alone may
   * have been reused, and a lock without a start time (another extension, an older version, no
   * `/proc`) is left to its age.
   */
  private livenessOf(owner: LockOwner, pid: number): Liveness {
    if (!isProcessAlive(pid)) return 'dead';
    // Only a /proc that numbers processes as we do says anything about this pid.
    const stat = ownStartTicks() === undefined ? undefined : readProcessStat(pid);
    // A zombie has exited and only waits for its parent to reap it: it will never release.
    if (stat?.state === 'Z' || stat?.state === 'X') return 'dead';
    if (stat === undefined || owner.start === undefined || owner.namespace === undefined) return 'unknown';
    return stat.startTicks === owner.start ? 'alive' : 'dead';
  }

  /**
   * Removes the lock `judged` stale, unless it changed meanwhile. Breakers take turns through
   * `<lock>.STALE`, and move the lock aside under a unique name before deleting it, so a breaker
   * that lost the race can tell (by inode) that it grabbed a fresh lock, and put it back.
   */
  private breakLock(judged: LockOwner): BreakOutcome {
    const breakerPath = `${this.path}.STALE`;
    let breakerIno: bigint | undefined;
    try {
      breakerIno = createExclusive(
        breakerPath,
        formatLockContent(process.pid, 'breaking a stale lock', 'breaker', this.namespace),
      );
    } catch (error) {
      if (errnoOf(error).code !== 'EEXIST') {
        return { done: false, blockedBy: `${breakerPath} cannot be created (${errnoOf(error).code ?? 'error'})` };
      }
      return this.clearBreaker(breakerPath);
    }
    try {
      const current = this.readOwner();
      if (!current || current.ino !== judged.ino || !this.isBreakable(current)) return { done: true };
      const aside = `${this.path}.broken-${process.pid}-${randomBytes(4).toString('hex')}`;
      // From here on synchronous, back to back: the windows below are a few µs wide.
      try {
        renameSync(this.path, aside);
      } catch (error) {
        if (errnoOf(error).code === 'ENOENT') return { done: true };
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
      return { done: true };
    } finally {
      removeIfOwned(breakerPath, breakerIno);
    }
  }

  /**
   * A breaker holds `.STALE` for a few file operations; one left by a dead or frozen process is
   * removed. Something we cannot read there (a folder, another user's file) is judged by its age.
   */
  private clearBreaker(breakerPath: string): BreakOutcome {
    let breaker: LockOwner | undefined;
    try {
      breaker = readLockOwner(breakerPath);
    } catch {
      breaker = undefined;
    }
    const stats = statSync(breakerPath, { bigint: true, throwIfNoEntry: false });
    if (!stats) return { done: true };
    const ageMs = Date.now() - Number(stats.mtimeMs);
    const dead =
      breaker?.pid !== undefined &&
      breaker.pid !== process.pid &&
      (breaker.namespace === undefined || breaker.namespace === this.namespace) &&
      !isProcessAlive(breaker.pid);
    if (!dead && !(ageMs > Math.min(this.staleMs, 2_000) || ageMs < -this.staleMs)) return { done: false };
    if (breaker) {
      removeIfOwned(breakerPath, breaker.ino);
      return { done: true };
    }
    // Not a file we can read: remove it if we can (an empty folder, our own file), else say so.
    try {
      if (stats.isDirectory()) rmdirSync(breakerPath);
      else unlinkSync(breakerPath);
      return { done: true };
    } catch (error) {
      return {
        done: false,
        blockedBy: `${breakerPath} is in the way and cannot be removed (${errnoOf(error).code ?? 'error'}); remove it by hand`,
      };
    }
  }

  private handle(ino: bigint, holder: string): LockHandle {
    const untrack = trackHeldLock(this.path, ino, holder);
    const refresh = setInterval(
      () => {
        if (inodeOf(this.path) !== ino) return;
        const now = new Date();
        fsp.utimes(this.path, now, now).catch(() => undefined);
      },
      Math.floor(this.staleMs / 3),
    );
    refresh.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(refresh);
        untrack();
        // By inode and holder token: a writer that broke this lock may have got the same inode number.
        removeLockIfHeld(this.path, ino, holder);
      },
      // Synchronous (a few µs), so that nothing runs between the check and the caller's rename.
      verify: () => {
        if (!released && isLockStillHeld(this.path, ino, holder)) return;
        throw this.lost(released);
      },
    };
  }

  private describe(owner: LockOwner | undefined): string {
    if (!owner) return 'a writer that has just released it';
    const rule = `it is broken once unchanged for ${this.staleMs} ms`;
    if (owner.kind === 'empty') {
      return `an empty lock file (a writer creating it, or one that crashed while creating it; ${rule})`;
    }
    if (owner.kind === 'garbage') {
      const shown = owner.program.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
      return `a lock file that names no process ("${shown}"; ${rule})`;
    }
    const who = `process ${owner.pid}${owner.program ? ` (${owner.program})` : ''}`;
    if (owner.namespace !== undefined && owner.namespace !== this.namespace) {
      return `${who} on another host or container (${owner.namespace}; ${rule})`;
    }
    if (owner.pid === undefined || owner.pid === process.pid || this.livenessOf(owner, owner.pid) !== 'alive') {
      return who;
    }
    const state = readProcessStat(owner.pid)?.state;
    if (state === 'T' || state === 't') {
      return (
        `${who}, which is alive on this host but stopped (Ctrl-Z, kill -STOP, docker pause or a debugger); ` +
        `a live holder's lock is never broken, so it stays held until that process is resumed (kill -CONT ${owner.pid}) or ends`
      );
    }
    return `${who}, which is alive on this host and busy (a live holder's lock is never broken, however long it holds)`;
  }

  private timedOut(timeoutMs: number, judged: LockOwner | undefined, blockedBy: string | undefined): PersistenceError {
    let owner = judged;
    if (owner === undefined) {
      try {
        // Not judged yet (a young lock): read it now, for the message only.
        owner = this.readOwner();
      } catch {
        owner = undefined;
      }
    }
    return new PersistenceError(
      'LockTimeout',
      `Timed out after ${timeoutMs} ms waiting for the lock ${this.path}, held by ${this.describe(owner)}. ` +
        (blockedBy
          ? `It could not be broken: ${blockedBy}.`
          : 'If that process is stuck, end it (a lock left by a dead process is removed automatically), then retry.'),
      { backend: this.name },
    );
  }

  private lost(released: boolean): PersistenceError {
    return new PersistenceError(
      'LockLost',
      released
        ? `This hold of the lock ${this.path} was already released; nothing was written. Take the lock again to write.`
        : `The lock ${this.path} is no longer this writer's: another writer judged it stale and took it over ` +
            `(this process was stopped or frozen for longer than staleMs, ${this.staleMs} ms, and the other writer ` +
            'runs on another host or container, or could not tell that this one is alive). Nothing was written, so ' +
            "the other writer's save stands; retry the operation.",
      { backend: this.name },
    );
  }

  private aborted(reason: unknown): PersistenceError {
    return new PersistenceError('Aborted', `Stopped waiting for the lock ${this.path}: the operation was aborted.`, {
      backend: this.name,
      cause: reason,
    });
  }
}
