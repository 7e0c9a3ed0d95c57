import { isPersistenceError, type Persistence, toBytes } from '@msal-persist/core';
import type { PartitionKeys } from './keys.js';
import type { PartitionContext } from './partition-context.js';
import type { PartitionEntry } from './partition-table.js';

/** The stamp of a partition nothing is known about while Redis is unavailable (`fail-open`). */
const UNKNOWN_WHILE_UNAVAILABLE = 'unavailable';

/**
 * One partition's cache as seen through the store's L1: a read whose copy the change notifications
 * say is current is served from memory (no round trip, no decryption); otherwise one round trip
 * brings the version and, only when it moved, the blob. Saves go to Redis (fenced by the
 * partition's lock) and become the L1 copy. While Redis is unavailable, `fail-open` serves the copy
 * it has (or nothing, so msal asks the identity provider) and keeps saves in memory; a delete
 * (sign-out) never fails open, since Redis would bring the tokens back.
 *
 * @example
 * ```ts
 * const { persistence } = store.partition(homeAccountId);
 * const bytes = await persistence.load(); // from L1 when current
 * ```
 */
export class RedisPartitionPersistence implements Persistence {
  readonly name: string;
  readonly isEncrypted: boolean;
  private static memoryVersions = 0;

  constructor(
    private readonly context: PartitionContext,
    private readonly keys: PartitionKeys,
    isEncrypted: boolean,
  ) {
    this.name = `redis:${context.where}/${keys.cache}`;
    this.isEncrypted = isEncrypted;
  }

  stamp(): string | Promise<string> {
    // A rejection, not a throw: callers of a stamp that may be a string do not all expect one.
    if (this.context.isClosed) return Promise.reject(this.context.closedError(this.name));
    const entry = this.context.entry(this.keys, this.name);
    const known = this.context.knownVersion(entry);
    if (known !== undefined) return known;
    if (entry.degradedHold) return this.fromMemory(entry).version;
    // The round trip that learns the version brings the bytes too when they changed: the plugin
    // loads them next, from the L1 then.
    return this.context.guarded(
      this.name,
      async () => {
        try {
          return (await this.read(entry)).version;
        } catch (error) {
          // Bytes that do not decode are load()'s to report (the plugin then starts empty and keeps
          // them aside); the stamp is the version alone.
          if (!isPersistenceError(error, 'Corrupt')) throw error;
          return entry.persistence.stamp();
        }
      },
      () => this.fromMemory(entry).version,
    );
  }

  async load(): Promise<Uint8Array | null> {
    const { context } = this;
    const entry = context.entry(this.keys, this.name);
    const copy = context.currentCopy(entry);
    if (copy !== undefined) {
      context.counters.l1Hits++;
      return copy === null ? null : copy.slice();
    }
    context.counters.l1Misses++;
    if (entry.degradedHold) return this.fromMemory(entry).bytes;
    return context.guarded(
      this.name,
      async () => (await this.read(entry)).bytes,
      () => this.fromMemory(entry).bytes,
    );
  }

  async save(data: Uint8Array): Promise<string> {
    const { context } = this;
    const entry = context.entry(this.keys, this.name);
    // A copy: the caller may reuse its buffer, and the L1 must not change under other readers.
    const plain = toBytes(data).slice();
    if (entry.degradedHold) return this.keepInMemory(entry, plain);
    return context.guarded(
      this.name,
      async () => {
        const version = await entry.persistence.save(plain);
        context.counters.writes++;
        context.counters.bytesWritten += plain.byteLength;
        context.table.remember(entry, version, plain);
        return version;
      },
      () => this.keepInMemory(entry, plain),
    );
  }

  async delete(): Promise<void> {
    const entry = this.context.entry(this.keys, this.name);
    this.context.table.drop(entry);
    await this.context.guarded(this.name, async () => {
      await entry.persistence.delete();
      this.context.counters.writes++;
    });
  }

  async keepAside(): Promise<string | undefined> {
    const entry = this.context.entry(this.keys, this.name);
    this.context.table.drop(entry);
    return this.context.guarded(this.name, () => entry.persistence.keepAside());
  }

  /** One round trip: the stored version, and the bytes unless the L1 copy is of that version. */
  private async read(entry: PartitionEntry): Promise<{ version: string; bytes: Uint8Array | null }> {
    const { counters, table } = this.context;
    const had = entry.bytes;
    const loaded = await entry.persistence.loadIfChanged(had === undefined ? undefined : entry.version);
    counters.reads++;
    if (!loaded.changed && had !== undefined) {
      counters.unchanged++;
      return { version: loaded.version, bytes: had === null ? null : had.slice() };
    }
    if (loaded.data === null) counters.readMisses++;
    else {
      counters.readHits++;
      counters.bytesRead += loaded.data.byteLength;
    }
    table.remember(entry, loaded.version, loaded.data);
    return { version: loaded.version, bytes: loaded.data === null ? null : loaded.data.slice() };
  }

  /** What memory holds while Redis cannot be asked (`fail-open`). */
  private fromMemory(entry: PartitionEntry): { version: string; bytes: Uint8Array | null } {
    this.context.counters.servedFromMemory++;
    if (entry.bytes === undefined || entry.version === undefined)
      return { version: UNKNOWN_WHILE_UNAVAILABLE, bytes: null };
    return { version: entry.version, bytes: entry.bytes === null ? null : entry.bytes.slice() };
  }

  /** A save that Redis could not take (`fail-open`): the L1 copy only, under a version of its own. */
  private keepInMemory(entry: PartitionEntry, plain: Uint8Array): string {
    this.context.counters.keptInMemory++;
    const version = `memory:${++RedisPartitionPersistence.memoryVersions}`;
    this.context.table.remember(entry, version, plain);
    return version;
  }
}
