import type { Lock } from './lock.js';
import type { Persistence } from './persistence.js';

/**
 * One partition of a {@link PartitionedStore}: the stored cache of one user, one on-behalf-of
 * caller or one app + tenant, and the lock every writer of that cache takes. Pass it to
 * `PersistenceCachePlugin` as it is.
 *
 * @example
 * ```ts
 * const { persistence, lock } = store.partition(key);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export interface CachePartition {
  /** The partition key this pair was made for (opaque; may identify a user, so never log it raw). */
  readonly key: string;
  /** Where this partition's serialized msal cache lives. */
  readonly persistence: Persistence;
  /** Mutual exclusion among every writer of this partition, in this process and others. */
  readonly lock: Lock;
}

/**
 * The partitioned store port: many independent msal caches under one roof, one per partition key
 * (web apps and APIs: a cache per user, per on-behalf-of caller, per app + tenant), never one blob
 * for everybody. Run `partitionedStoreContract` from `@msal-persist/core/testing` against an
 * implementation to prove it.
 *
 * `partition(key)` is synchronous, waits on no I/O (at most a stat-sized call) and is cheap enough to
 * call on every request. The same key gives the same stored cache in every process sharing the
 * store; different keys never see each other's bytes, and a write to one partition does not change
 * another's stamp.
 *
 * @example
 * ```ts
 * const store: PartitionedStore = new MemoryPartitionedStore();
 * const partition = store.partition('user:1234');
 * await partition.persistence.save(new TextEncoder().encode('{}'));
 * await store.close();
 * ```
 */
export interface PartitionedStore {
  /** Human-readable store name for errors and logs (never contains a partition key). */
  readonly name: string;
  /** True when every partition's bytes are encrypted at rest by something other than file permissions. */
  readonly isEncrypted: boolean;
  /**
   * The persistence + lock pair of one partition. Throws `TypeError` for an empty key. Calling it
   * twice with one key gives pairs over the same bytes whose locks exclude each other.
   */
  partition(key: string): CachePartition;
  /** Releases what the store shares between partitions (connections, subscriptions, timers). Idempotent. */
  close(): Promise<void>;
}

/**
 * Throws the `TypeError` every {@link PartitionedStore} throws for a key that is not a non-empty
 * string. The message never shows the key (it may identify a user).
 *
 * @example
 * ```ts
 * partition(key: string): CachePartition {
 *   checkPartitionKey(key, this.name);
 *   // ...
 * }
 * ```
 */
export function checkPartitionKey(key: unknown, storeName: string): asserts key is string {
  if (typeof key !== 'string') {
    throw new TypeError(`[${storeName}] A partition key must be a string, got ${typeof key}.`);
  }
  if (key.length === 0) {
    throw new TypeError(
      `[${storeName}] A partition key must not be empty: derive one per user, caller or app + tenant.`,
    );
  }
}
