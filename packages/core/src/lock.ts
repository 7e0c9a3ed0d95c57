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
