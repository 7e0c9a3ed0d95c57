import { isPersistenceError, type Lock, type LockAcquireOptions, type LockHandle } from '@msal-persist/core';
import type { PartitionKeys } from './keys.js';
import type { PartitionContext } from './partition-context.js';
import type { PartitionEntry } from './partition-table.js';

/**
 * One partition's lock: first this process's own queue (so concurrent requests of one process for
 * one user wait in memory, not by polling Redis), then the partition's `RedisLock` (lease, fencing,
 * the version read with the lock). While Redis is unavailable, `fail-open` hands out the
 * in-process hold alone, and the partition's saves under it stay in memory.
 *
 * @example
 * ```ts
 * const { lock } = store.partition(homeAccountId);
 * const handle = await lock.acquire({ timeoutMs: 5_000 });
 * try { await persistence.save(bytes); } finally { await handle.release(); }
 * ```
 */
export class RedisPartitionLock implements Lock {
  readonly name: string;

  constructor(
    private readonly context: PartitionContext,
    private readonly keys: PartitionKeys,
  ) {
    this.name = `redis-lock:${context.where}/${keys.lock}`;
  }

  async acquire(options: LockAcquireOptions = {}): Promise<LockHandle> {
    const { context } = this;
    const { counters } = context;
    const timeoutMs = options.timeoutMs ?? context.lockTimeoutMs;
    const startedAt = performance.now();
    const deadline = Date.now() + timeoutMs;
    const signal = options.signal ? { signal: options.signal } : {};
    const entry = context.entry(this.keys, this.name);
    // Counted when the wait starts, so stats() shows the waits under way too.
    let waited = false;
    const waiting = () => {
      if (waited) return;
      waited = true;
      counters.lockWaited++;
    };
    const done = () => {
      if (waited) counters.lockWaitMs += performance.now() - startedAt;
    };
    // Another request of this process holds or awaits it: this one waits in the queue.
    if (entry.busy > 0) waiting();
    entry.busy++;
    let local: LockHandle;
    try {
      local = await entry.local.acquire({ ...signal, timeoutMs });
    } catch (error) {
      entry.busy--;
      done();
      if (isPersistenceError(error, 'LockTimeout')) counters.lockTimeouts++;
      throw error;
    }
    try {
      // One acquisition with what is left of the caller's timeout: it bounds the wait for another
      // process's hold and the wait for a new primary alike (a first try with no time left would
      // fail at once during a failover), and the caller's signal ends both.
      const redisHold = await context.guarded(
        this.name,
        () => entry.lock.acquire({ ...signal, timeoutMs: Math.max(0, deadline - Date.now()) }, waiting),
        () => undefined,
      );
      counters.lockAcquired++;
      done();
      if (!redisHold) {
        counters.inMemoryOnlyHolds++;
        entry.degradedHold = true;
      }
      return this.handle(entry, local, redisHold);
    } catch (error) {
      done();
      if (isPersistenceError(error, 'LockTimeout')) counters.lockTimeouts++;
      await local.release();
      entry.busy--;
      throw error;
    }
  }

  private handle(entry: PartitionEntry, local: LockHandle, redisHold: LockHandle | undefined): LockHandle {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          // A release Redis cannot take is left to the lease (fail-open), or reported (fail-closed).
          // After close() nothing is sent: the lease ends the hold, and releasing must not fail the
          // cleanup of a request that was under way when the app shut the store.
          if (redisHold && this.context.isClosed) await redisHold.release().catch(() => undefined);
          else if (redisHold)
            await this.context.guarded(
              this.name,
              () => redisHold.release(),
              () => undefined,
            );
        } finally {
          entry.degradedHold = false;
          await local.release();
          entry.busy--;
        }
      },
    };
  }
}
