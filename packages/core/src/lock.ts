/**
 * Options for {@link Lock.acquire}.
 *
 * @example
 * ```ts
 * await lock.acquire({ timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) });
 * ```
 */
export interface LockAcquireOptions {
  /** Give up with a `LockTimeout` error after this many milliseconds. Each adapter documents its default. */
  timeoutMs?: number;
  /** Give up with an `Aborted` error when this signal aborts. */
  signal?: AbortSignal;
}

/**
 * Proof of holding a {@link Lock}. Release it in a `finally`.
 *
 * @example
 * ```ts
 * const handle = await lock.acquire();
 * try { await persistence.save(bytes); } finally { await handle.release(); }
 * ```
 */
export interface LockHandle {
  /** Releases the lock. Calling it again is a no-op, and it never releases a lock someone else now holds. */
  release(): Promise<void>;
  /**
   * Optional: returns when this hold is still the caller's, and throws a `PersistenceError`
   * `LockLost` when it is not (released, or broken by another writer who judged it stale: a lock
   * whose holder was stopped or frozen, or lives on another host, can be). A `Persistence` calls it
   * as the very last step before it replaces the stored bytes — after any wait, encryption or
   * write of a temp file — and writes nothing when it throws; callers hand it over through
   * `save(data, { lock })`. It may return a promise; adapters that can answer synchronously
   * should, so nothing runs between the check and the replacement. Adapters whose store fences
   * writes itself (Redis) need not have it.
   *
   * @example
   * ```ts
   * const handle = await lock.acquire();
   * try { await persistence.save(bytes, { lock: handle }); } finally { await handle.release(); }
   * ```
   */
  verify?(): void | Promise<void>;
}

/**
 * The Lock port: mutual exclusion among every writer of one cache, in this process and others.
 * Run `lockContract` from `@msal-persist/core/testing` against an implementation to prove it.
 *
 * @example
 * ```ts
 * const lock: Lock = new MemoryLock();
 * const handle = await lock.acquire({ timeoutMs: 1000 });
 * await handle.release();
 * ```
 */
export interface Lock {
  /**
   * Resolves once this caller holds the lock exclusively. Rejects with a `PersistenceError`:
   * `LockTimeout` after `timeoutMs`, `Aborted` when `signal` aborts (also when already aborted).
   * A lock left by a crashed holder must not block forever.
   */
  acquire(options?: LockAcquireOptions): Promise<LockHandle>;
}
