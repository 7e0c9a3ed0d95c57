import type { LockHandle } from './lock.js';

/**
 * Options for {@link Persistence.save}.
 *
 * @example
 * ```ts
 * const handle = await lock.acquire();
 * const options: SaveOptions = { lock: handle };
 * await persistence.save(bytes, options);
 * ```
 */
export interface SaveOptions {
  /**
   * The hold the caller writes under. When it has `verify`, `save` calls it as its very last step
   * before the stored bytes are replaced (after encoding, queued writes and the temp file), and
   * writes nothing when it throws (`LockLost`). A persistence never releases it.
   */
  lock?: LockHandle;
}

/**
 * The Persistence port: where a serialized msal token cache lives. Implement it to add a backend;
 * run `persistenceContract` from `@msal-persist/core/testing` against your class to prove it.
 *
 * Writers call `save` while holding the matching {@link Lock}; readers never lock, so `save` must be
 * atomic as seen by a concurrent `load`.
 *
 * @example
 * ```ts
 * const persistence: Persistence = new MemoryPersistence();
 * const stamp = await persistence.save(new TextEncoder().encode('{}'));
 * (await persistence.stamp()) === stamp; // true until the next save or delete
 * ```
 */
export interface Persistence {
  /** Human-readable backend name used in errors and logs, e.g. `file:/home/me/.cache/app/msal.json`. */
  readonly name: string;
  /** True when the bytes are encrypted at rest by something other than file permissions. */
  readonly isEncrypted: boolean;
  /**
   * The stored bytes, or `null` when nothing has been saved (or it was deleted). Never returns a
   * mix of two saves. Throws {@link PersistenceError} (`Corrupt` when the bytes exist but cannot be
   * decoded, e.g. failed decryption).
   */
  load(): Promise<Uint8Array | null>;
  /**
   * Replaces the stored bytes atomically: a concurrent `load` sees the old or the new bytes, never
   * a mix, and a failure (crash, full disk) leaves the old bytes. Resolves with the stamp of what
   * was written, equal to what `stamp()` returns until the next change. With `options.lock`, calls
   * its `verify()` right before replacing the bytes and rejects with what it throws (`LockLost`),
   * leaving the old bytes; an adapter that fences writes itself (Redis) may ignore it.
   */
  save(data: Uint8Array, options?: SaveOptions): Promise<string>;
  /** Removes the stored bytes. Deleting what does not exist is not an error. */
  delete(): Promise<void>;
  /**
   * A cheap opaque token of the stored state, compared for equality only: it changes on every
   * `save` and `delete` (also when the bytes are the same) and on changes made by other processes,
   * and stays the same otherwise. It is called on every silent token call, so return a string
   * synchronously where that is cheaper (a `statSync`), a promise where it needs I/O (Redis).
   */
  stamp(): string | Promise<string>;
  /**
   * Optional: moves the currently stored bytes aside so the next `save` does not destroy them
   * (they failed to parse). Resolves with where they went, for the log; `undefined` when nothing
   * was stored. Called under the lock, right before the save that replaces them.
   */
  keepAside?(): Promise<string | undefined>;
}
