import { randomBytes, randomUUID } from 'node:crypto';
import {
  asideName,
  checkNumberOption,
  delay,
  type Lock,
  type LockAcquireOptions,
  type LockHandle,
  PersistenceError,
} from '@msal-persist/core';
import { type RedisKeys, redisKeys } from './keys.js';
import { MAX_TIMER_MS } from './redis-client.js';
import type { RedisConnection } from './redis-connection.js';
import { ACQUIRE, RELEASE, RENEW } from './scripts.js';
import type { VersionWatch } from './version-watch.js';

/**
 * Where the lock lives and how it behaves.
 *
 * @example
 * ```ts
 * const settings: RedisLockSettings = { prefix: 'my-daemon', partition: 'prod', leaseMs: 10_000 };
 * ```
 */
export interface RedisLockSettings {
  /** Key prefix shared by every key of the cache. Default `msal-persist`. */
  prefix?: string;
  /** Which cache (per tenant, per app…). Default `default`. */
  partition?: string;
  /** Lease of a hold; renewed every `leaseMs / 3` while held, so it only bounds how long a crashed holder blocks others. Default 10 000. */
  leaseMs?: number;
  /** `acquire` timeout when the caller gives none. Default 15 000. */
  defaultTimeoutMs?: number;
  /** How long a lock or fencing-counter key of a foreign type, moved aside, is kept. Default 7 days. */
  keepAsideTtlMs?: number;
}

/**
 * Default of `keepAsideTtlMs`: a week, time enough to look at what was moved aside.
 *
 * @example
 * ```ts
 * const keepAsideTtlMs = settings.keepAsideTtlMs ?? KEEP_ASIDE_TTL_MS;
 * ```
 */
export const KEEP_ASIDE_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Validates the lock settings (a `TypeError`/`RangeError` naming the option) and fills defaults.
 *
 * @example
 * ```ts
 * const { leaseMs } = lockSettings({ leaseMs: 5_000 });
 * ```
 */
export function lockSettings(settings: RedisLockSettings) {
  return {
    keys: redisKeys(settings.prefix ?? 'msal-persist', settings.partition ?? 'default'),
    // Below 100 ms a renewal every lease/3 cannot keep up with one slow round trip.
    leaseMs: checkNumberOption('leaseMs', settings.leaseMs, 10_000, { min: 100, max: MAX_TIMER_MS }),
    defaultTimeoutMs: checkNumberOption('defaultTimeoutMs', settings.defaultTimeoutMs, 15_000, {
      min: 0,
      max: MAX_TIMER_MS,
    }),
    keepAsideTtlMs: checkNumberOption('keepAsideTtlMs', settings.keepAsideTtlMs, KEEP_ASIDE_TTL_MS, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
  };
}

/**
 * What {@link RedisLock.currentHold} reports: the token in the lock key and the fencing token of
 * this process's current hold. `RedisPersistence` reads it to fence its writes.
 *
 * @example
 * ```ts
 * const hold = lock.currentHold(); // { token: '…', fence: 42, lost: false }
 * ```
 */
export interface RedisLockHold {
  /** Random value stored in the lock key while this hold lasts. */
  readonly token: string;
  /** Monotonic fencing token handed out on acquire (INCR on a key that is never deleted). */
  readonly fence: number;
  /** True once renewal found the lease gone: every fenced write will be refused. */
  readonly lost: boolean;
}

interface Hold {
  token: string;
  fence: number;
  lost: boolean;
  renewal: ReturnType<typeof setInterval>;
}

const POLL_MIN_MS = 10;
const POLL_JITTER_MS = 30;

/**
 * The cross-machine {@link Lock}: `SET key token NX PX lease`, compare-and-delete release, lease
 * renewal while held, jittered polling while waiting, and a fencing token per hold. One instance
 * admits one holder of this process at a time, which is what makes its hold unambiguous for the
 * fenced `RedisPersistence` paired with it.
 *
 * @example
 * ```ts
 * const lock = new RedisLock(connection, { partition: 'prod' });
 * const handle = await lock.acquire({ timeoutMs: 5_000 });
 * try { await persistence.save(bytes); } finally { await handle.release(); }
 * ```
 */
export class RedisLock implements Lock {
  /** Name used in errors: `redis-lock:redis://host:port/<key>`. */
  readonly name: string;
  /** The keys of this cache. */
  readonly keys: RedisKeys;
  /** Lease in milliseconds. */
  readonly leaseMs: number;
  /** The connection it runs on; a fenced `RedisPersistence` must share it. */
  readonly connection: RedisConnection;
  private readonly defaultTimeoutMs: number;
  private readonly keepAsideTtlMs: number;
  private hold: Hold | undefined;
  private readonly wiring: { keys: RedisKeys; watch: VersionWatch; fenceTtlMs: number } | undefined;

  /**
   * `wiring`: only for a partition of a partitioned store: its keys (replacing `prefix` and
   * `partition`), the watch its version is settled in, and the shortest TTL of its fence counter.
   */
  constructor(
    connection: RedisConnection,
    settings: RedisLockSettings = {},
    wiring?: { keys: RedisKeys; watch: VersionWatch; fenceTtlMs: number },
  ) {
    this.connection = connection;
    const resolved = lockSettings(settings);
    this.wiring = wiring;
    this.keys = wiring?.keys ?? resolved.keys;
    this.leaseMs = resolved.leaseMs;
    this.defaultTimeoutMs = resolved.defaultTimeoutMs;
    this.keepAsideTtlMs = resolved.keepAsideTtlMs;
    this.name = `redis-lock:${connection.where}/${this.keys.lock}`;
  }

  /** This process's current hold, or `undefined` when it holds nothing. */
  currentHold(): RedisLockHold | undefined {
    return this.hold;
  }

  /**
   * Takes the lock within `timeoutMs`, waiting for its holder and, within the same bound, for a new
   * primary; `signal` ends either wait with `Aborted`. `onWait` is called once, when the lock is
   * found held and the wait for its holder begins (a partitioned store counts those waits).
   */
  async acquire(options: LockAcquireOptions = {}, onWait?: () => void): Promise<LockHandle> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let waiting = false;
    for (;;) {
      if (signal?.aborted) throw this.aborted(signal.reason);
      // Wait for this process's own holder first, even if its lease is gone, so a fenced save never
      // runs under another local hold's token.
      if (!this.hold) {
        const taken = await this.tryAcquire(randomUUID(), deadline, signal);
        if (taken) {
          const handle = this.take(taken.token, taken.fence);
          if (signal?.aborted) {
            await handle.release();
            throw this.aborted(signal.reason);
          }
          return handle;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new PersistenceError(
          'LockTimeout',
          `Timed out after ${timeoutMs} ms waiting for the Redis lock ${this.keys.lock}; another replica holds it. ` +
            `A crashed holder's lease expires within ${this.leaseMs} ms.`,
          { backend: this.name },
        );
      }
      if (!waiting) {
        waiting = true;
        onWait?.();
      }
      await this.pause(Math.min(remaining, POLL_MIN_MS + Math.random() * POLL_JITTER_MS), signal);
    }
  }

  /**
   * One attempt: takes the lock if free and reads the cache's version in the same step, which makes
   * it authoritative for this hold (nobody else writes while we hold the lock), so the paired
   * persistence's stamp needs no round trip and can never lag behind the last holder's write.
   */
  private async tryAcquire(
    token: string,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<{ token: string; fence: number } | undefined> {
    const { keys } = this;
    const watch = this.wiring ? this.wiring.watch : this.connection.existingWatch(keys.channel);
    const generation = watch?.begin() ?? 0;
    const startedAt = performance.now();
    const reply = (await this.connection.script(
      this.name,
      ACQUIRE,
      [keys.lock, keys.fence, keys.cache, asideName(keys.lock), asideName(keys.fence)],
      [token, this.leaseMs, this.keepAsideTtlMs, randomBytes(6).toString('hex'), this.wiring?.fenceTtlMs ?? 0],
      // Waiting for a new primary is bounded by this acquisition's own timeout, and ended by its signal.
      deadline,
      signal,
    )) as [unknown, unknown, unknown];
    const fence = Number(reply[0]);
    if (fence <= 0) return undefined;
    watch?.settle(String(reply[1]), generation, startedAt, Number(reply[2]));
    return { token, fence };
  }

  private take(token: string, fence: number): LockHandle {
    const renewal = setInterval(() => void this.renew(hold), Math.max(1, Math.floor(this.leaseMs / 3)));
    // The lease, not this timer, decides when a hold ends; never keep a process alive for it.
    renewal.unref();
    const hold: Hold = { token, fence, lost: false, renewal };
    this.hold = hold;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(hold.renewal);
        if (this.hold === hold) this.hold = undefined;
        await this.connection.script(this.name, RELEASE, [this.keys.lock], [hold.token]);
      },
    };
  }

  private async renew(hold: Hold): Promise<void> {
    try {
      // No waiting for a new primary here (until: now): the next renewal is the retry.
      const extended = await this.connection.script(
        this.name,
        RENEW,
        [this.keys.lock],
        [hold.token, this.leaseMs],
        Date.now(),
      );
      if (Number(extended) === 0) {
        hold.lost = true;
        clearInterval(hold.renewal);
      }
    } catch {
      // Redis unreachable: keep trying; if the lease runs out meanwhile, the fenced save refuses.
    }
  }

  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return delay(ms, signal, (reason) => this.aborted(reason));
  }

  private aborted(reason: unknown): PersistenceError {
    return new PersistenceError('Aborted', 'Stopped waiting for the Redis lock: the operation was aborted.', {
      backend: this.name,
      cause: reason,
    });
  }
}
