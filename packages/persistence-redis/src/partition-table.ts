import type { MemoryLock } from '@msal-persist/core';
import type { PartitionKeys } from './keys.js';
import type { RedisLock } from './redis-lock.js';
import type { RedisPersistence } from './redis-persistence.js';
import type { VersionWatch } from './version-watch.js';

/**
 * What one process keeps for a partition it served lately: the Redis pair bound to its keys, the
 * watch the store's shared channel keeps current, an in-process lock that queues this process's
 * writers before they go to Redis, and the L1 copy (`bytes` at `version`).
 *
 * @example
 * ```ts
 * const entry = table.get(keys);
 * if (entry.bytes !== undefined && entry.watch.current(performance.now(), 1000) === entry.version) return entry.bytes;
 * ```
 */
export interface PartitionEntry {
  readonly keys: PartitionKeys;
  readonly watch: VersionWatch;
  readonly persistence: RedisPersistence;
  readonly lock: RedisLock;
  /** Queues this process's writers of the partition, so only one at a time asks Redis for the lock. */
  readonly local: MemoryLock;
  /** The version `bytes` were read or written at. */
  version: string | undefined;
  /** The L1 copy: plaintext bytes, `null` for "nothing stored", `undefined` when not kept. */
  bytes: Uint8Array | null | undefined;
  /** `performance.now()` of the last read, write or lock of the partition (the background re-check skips idle ones). */
  usedAt: number;
  /** Lock acquisitions and holds under way: a busy entry is never evicted. */
  busy: number;
  /** A hold taken while Redis was unavailable (fail-open): saves under it stay in memory. */
  degradedHold: boolean;
}

/**
 * Bytes charged per entry on top of its L1 copy: its keys, watch, Redis pair and lock objects, so
 * that entries without a copy still count. Measured: ≈ 2.5 KB of heap per entry (20,000 entries,
 * heap difference after `global.gc()`, Node 20).
 */
const ENTRY_OVERHEAD = 2560;

/**
 * The partitions a process keeps in memory, least recently used first, within a byte budget that
 * counts every L1 copy plus {@link ENTRY_OVERHEAD} per entry. Going over the budget evicts the least
 * recently used entries that no lock acquisition or hold uses; `evicted` lets the store stop
 * watching them.
 *
 * @example
 * ```ts
 * const table = new PartitionTable(64 * 1024 * 1024, (keys) => makeEntry(keys), (entry) => feed.forget(channel, entry.keys.member));
 * table.remember(table.get(keys), version, bytes);
 * ```
 */
export class PartitionTable {
  /** Entries dropped to stay within the budget. */
  evictions = 0;
  private readonly entries = new Map<string, PartitionEntry>();
  private used = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly create: (keys: PartitionKeys) => PartitionEntry,
    private readonly evicted: (entry: PartitionEntry) => void,
  ) {}

  /** The entry of `keys`, made on first use; now the most recently used. */
  get(keys: PartitionKeys): PartitionEntry {
    const known = this.entries.get(keys.member);
    if (known) {
      // Re-inserting moves it to the end of the Map's order: the most recently used.
      this.entries.delete(keys.member);
      this.entries.set(keys.member, known);
      return known;
    }
    const entry = this.create(keys);
    this.entries.set(keys.member, entry);
    this.used += ENTRY_OVERHEAD;
    this.trim(entry);
    return entry;
  }

  /** Keeps `bytes` (plaintext, or `null` for nothing stored) as the L1 copy of `entry` at `version`. */
  remember(entry: PartitionEntry, version: string, bytes: Uint8Array | null): void {
    this.drop(entry);
    const size = bytes?.byteLength ?? 0;
    // Larger than the whole budget: caching it would only evict everything else.
    if (size + ENTRY_OVERHEAD > this.maxBytes) return;
    entry.version = version;
    entry.bytes = bytes;
    if (this.entries.get(entry.keys.member) === entry) {
      this.used += size;
      this.trim(entry);
    }
  }

  /** Forgets the L1 copy of `entry` (its partition was deleted, or the copy is unusable). */
  drop(entry: PartitionEntry): void {
    if (entry.bytes && this.entries.get(entry.keys.member) === entry) this.used -= entry.bytes.byteLength;
    entry.bytes = undefined;
    entry.version = undefined;
  }

  /** The entries `keep` says yes to, least recently used first. */
  select(keep: (entry: PartitionEntry) => boolean): PartitionEntry[] {
    const selected: PartitionEntry[] = [];
    for (const entry of this.entries.values()) if (keep(entry)) selected.push(entry);
    return selected;
  }

  /** Entries and the bytes charged for them. */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.used };
  }

  /** Forgets every entry (the store closes). */
  clear(): void {
    for (const entry of this.entries.values()) this.evicted(entry);
    this.entries.clear();
    this.used = 0;
  }

  /** Evicts least recently used entries until within budget; never `current`, which a caller is using now. */
  private trim(current: PartitionEntry): void {
    if (this.used <= this.maxBytes) return;
    for (const [member, entry] of this.entries) {
      if (this.used <= this.maxBytes) return;
      if (entry.busy > 0 || entry === current) continue;
      this.entries.delete(member);
      this.used -= ENTRY_OVERHEAD + (entry.bytes?.byteLength ?? 0);
      entry.bytes = undefined;
      entry.version = undefined;
      this.evictions++;
      this.evicted(entry);
    }
  }
}
