import type { CircuitState } from './circuit-breaker.js';

/**
 * What a `RedisPartitionedStore` did since it was created, per layer. Counters only grow; `l1.bytes`,
 * `l1.entries`, `breaker.state` and `subscription` are the state now. Byte counts are of plaintext
 * cache bytes (before encryption).
 *
 * @example
 * ```ts
 * const { l1, redis } = store.stats();
 * console.log(`L1 hit rate ${(l1.hits / (l1.hits + l1.misses)).toFixed(2)}, ${redis.bytesRead} bytes read`);
 * ```
 */
export interface RedisPartitionedStoreStats {
  /** In-process copies: `hits` were served with no round trip; `misses` asked Redis. */
  readonly l1: {
    readonly hits: number;
    readonly misses: number;
    readonly entries: number;
    readonly bytes: number;
    readonly evictions: number;
  };
  /**
   * Round trips for reads (`reads`): `unchanged` found the L1 copy current (a few bytes came back),
   * `hits` brought a stored cache, `misses` found none; `writes` are saves and deletes.
   */
  readonly redis: {
    readonly reads: number;
    readonly hits: number;
    readonly misses: number;
    readonly unchanged: number;
    readonly writes: number;
    readonly bytesRead: number;
    readonly bytesWritten: number;
    /** Calls that failed because Redis was unreachable or did not answer in time. */
    readonly unavailable: number;
    /** Background re-checks of a held partition's version (`backgroundRevalidation`), off the request path. */
    readonly revalidations: number;
    /** Background re-check rounds that failed (Redis unavailable, an error from it): the requests re-check instead. */
    readonly revalidationFailures: number;
  };
  /** Partition locks: `waited` counts acquisitions that found the lock held (here or elsewhere). */
  readonly lock: {
    readonly acquired: number;
    readonly waited: number;
    readonly waitMs: number;
    readonly timeouts: number;
    /** Holds taken in this process only, while Redis was unavailable (`fail-open`). */
    readonly inMemoryOnly: number;
  };
  /** The circuit breaker in front of Redis. */
  readonly breaker: { readonly state: CircuitState; readonly opened: number; readonly shortCircuited: number };
  /** `fail-open` at work: reads answered from memory and saves kept only in memory while Redis was unavailable. */
  readonly failOpen: { readonly servedFromMemory: number; readonly keptInMemory: number };
  /** The one change subscription: channels subscribed (1) and the partitions it keeps current. */
  readonly subscription: { readonly channels: number; readonly watches: number };
}

/**
 * The growing counters behind {@link RedisPartitionedStoreStats}.
 *
 * @example
 * ```ts
 * const counters = new StoreCounters();
 * counters.l1Hits++;
 * ```
 */
export class StoreCounters {
  l1Hits = 0;
  l1Misses = 0;
  reads = 0;
  readHits = 0;
  readMisses = 0;
  unchanged = 0;
  writes = 0;
  bytesRead = 0;
  bytesWritten = 0;
  unavailable = 0;
  revalidations = 0;
  revalidationFailures = 0;
  lockAcquired = 0;
  lockWaited = 0;
  lockWaitMs = 0;
  lockTimeouts = 0;
  inMemoryOnlyHolds = 0;
  servedFromMemory = 0;
  keptInMemory = 0;
}
