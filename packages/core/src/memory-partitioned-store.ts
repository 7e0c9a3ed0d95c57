import { MemoryLock } from './memory-lock.js';
import { MemoryPersistence } from './memory-persistence.js';
import { type CachePartition, checkPartitionKey, type PartitionedStore } from './partitioned-store.js';

let instances = 0;

/** Options for {@link MemoryPartitionedStore}. */
export interface MemoryPartitionedStoreOptions {
  /** Store name for errors and logs. Default `memory-store:<n>`. */
  name?: string;
}

/**
 * A real in-process {@link PartitionedStore}: a `MemoryPersistence` + `MemoryLock` per key, for
 * tests and for one process that needs no persistence. It keeps every partition it was asked for
 * until the process ends (it has no retention sweep), and it does not exclude other processes.
 *
 * @example
 * ```ts
 * const store = new MemoryPartitionedStore();
 * const { persistence, lock } = store.partition(homeAccountId);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export class MemoryPartitionedStore implements PartitionedStore {
  readonly name: string;
  readonly isEncrypted = false;
  private readonly partitions = new Map<string, CachePartition>();

  constructor(options: MemoryPartitionedStoreOptions = {}) {
    this.name = options.name ?? `memory-store:${++instances}`;
  }

  /** How many partitions this store has handed out. */
  get size(): number {
    return this.partitions.size;
  }

  partition(key: string): CachePartition {
    checkPartitionKey(key, this.name);
    let partition = this.partitions.get(key);
    if (partition === undefined) {
      // Names carry a sequence number, never the key: names end up in logs and error messages.
      const name = `${this.name}#${this.partitions.size + 1}`;
      partition = { key, persistence: new MemoryPersistence(name), lock: new MemoryLock(name) };
      this.partitions.set(key, partition);
    }
    return partition;
  }

  async close(): Promise<void> {
    // Nothing is shared between partitions: no connection, timer or handle to release.
  }
}
