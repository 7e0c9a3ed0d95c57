import {
  type BytesCodec,
  type CachePartition,
  cacheRetention,
  checkNumberOption,
  checkPartitionKey,
  DEFAULT_REFRESH_TOKEN_IDLE_MS,
  MemoryLock,
  type PartitionedStore,
} from '@msal-persist/core';
import { AesGcmCodec } from './aes-gcm-codec.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { InvalidationFeed } from './invalidation-feed.js';
import { type PartitionKeys, partitionKeys, partitionsChannel } from './keys.js';
import { PartitionContext } from './partition-context.js';
import type { RedisPartitionedStoreStats } from './partition-stats.js';
import { StoreCounters } from './partition-stats.js';
import { type PartitionEntry, PartitionTable } from './partition-table.js';
import { expectedCommandTimeout, isCluster, MAX_TIMER_MS } from './redis-client.js';
import { checkConnectionOptions, RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { lockSettings, RedisLock } from './redis-lock.js';
import { RedisPartitionLock } from './redis-partition-lock.js';
import { RedisPartitionPersistence } from './redis-partition-persistence.js';
import { persistenceSettings, RedisPersistence } from './redis-persistence.js';
import { STAMPS } from './scripts.js';

/**
 * Options for {@link createRedisPartitionedStore}: how to connect (one server, Sentinel, Cluster,
 * TLS, or your own ioredis client), plus the store's own settings.
 *
 * @example
 * ```ts
 * const options: RedisPartitionedStoreOptions = { url: process.env.REDIS_URL, prefix: 'web-api', onUnavailable: 'fail-open' };
 * ```
 */
export interface RedisPartitionedStoreOptions extends RedisConnectionOptions {
  /**
   * A secret shared by the fleet: partition keys are then named by HMAC-SHA-256 instead of SHA-256,
   * so someone who can list Redis keys cannot confirm a guessed partition key (a home account id).
   * Changing it orphans every stored partition (they expire). Default: none.
   */
  keySecret?: string | Uint8Array;
  /** Prefix of every key and of the change channel (`<prefix>:p:{<hash>}:cache`, `<prefix>:p:changed`). Default `msal-persist`. */
  prefix?: string;
  /**
   * At-rest encoding of every partition, e.g. `new AesGcmCodec({ keys: [...] })`. An `AesGcmCodec`
   * also binds each blob to its partition, so a blob copied to another user's key does not decode.
   * Default: plaintext.
   */
  codec?: BytesCodec;
  /**
   * The staleness bound of the L1 (and of every stamp): how long this process trusts what it knows
   * of a partition without asking Redis, should a change notification be lost. Notifications
   * arrive within a round trip; this bounds the rare loss. 0: a round trip on every read. Default 1000.
   */
  maxStalenessMs?: number;
  /**
   * How long a partition's copy is trusted at most before one small round trip re-checks it, even
   * with the subscription proven live (a heartbeat every `maxStalenessMs / 2` proves that): it
   * bounds how long a change that publishes nothing (a hand edit, `FLUSHALL`) goes unseen. Default 60 000.
   */
  revalidateAfterMs?: number;
  /**
   * Re-check, in the background, each partition this process holds and used within the last
   * `10 × revalidateAfterMs` before its check is `revalidateAfterMs` old (every `revalidateAfterMs /
   * 4`, one script per 256 partitions; on a Cluster one small read each), so that a request for a
   * partition served minutes ago still costs no round trip. false: a partition whose check is
   * `revalidateAfterMs` old costs one round trip at its next read. Default true.
   */
  backgroundRevalidation?: boolean;
  /** Budget of the in-process L1 (partitions' plaintext bytes plus ~2.5 KB per partition kept). 0: no L1 copies. Default 64 MiB. */
  l1MaxBytes?: number;
  /** How long a partition holding a refresh token is kept after its last save (sliding). Default 14 days (core's `DEFAULT_REFRESH_TOKEN_IDLE_MS`). */
  refreshTokenIdleMs?: number;
  /**
   * The shortest life of a stored partition after a save or delete: a cache holding nothing worth
   * keeping (signed out, expired tokens only) goes this long after it was written. Default 10 minutes.
   */
  minRetentionMs?: number;
  /**
   * What a token call does while Redis cannot be reached: `fail-closed` (default) rejects with
   * `NotAvailable`/`Timeout`; `fail-open` serves the partition's L1 copy, or nothing (msal then asks
   * the identity provider), and keeps saves in memory until Redis is back. A delete (sign-out)
   * always fails closed.
   */
  onUnavailable?: 'fail-open' | 'fail-closed';
  /** The circuit breaker: after `failureThreshold` (3) unavailable calls in a row, none is tried for `openMs` (5000). */
  breaker?: CircuitBreakerOptions;
  /** Lease of a partition's lock (see `RedisLock`). Default 10 000. */
  leaseMs?: number;
  /** A lock acquisition's timeout when the caller gives none. Default 15 000. */
  lockTimeoutMs?: number;
  /** Replicas that must confirm each save (see `RedisPersistence`). Default 0. */
  minReplicas?: number;
  /** How long a save waits for `minReplicas`. Default half the command timeout. */
  replicaTimeoutMs?: number;
}

const DEFAULT_L1_MAX_BYTES = 64 * 1024 * 1024;
/** Partitions re-checked by one script (a Cluster: reads sent at once): a few KB of reply, ≈ 0.1 ms of server time. */
const REVALIDATION_BATCH = 256;
/** The background re-check's shortest period, whatever `revalidateAfterMs`. */
const REVALIDATION_TICK_MIN_MS = 100;
/** A partition unused for this many `revalidateAfterMs` is left to its next read. */
const IDLE_AFTER_REVALIDATIONS = 10;
const DEFAULT_MIN_RETENTION_MS = 10 * 60 * 1000;

/** Validates the store's own options (a `TypeError`/`RangeError` naming the option). */
function storeSettings(options: RedisPartitionedStoreOptions) {
  const onUnavailable = options.onUnavailable ?? 'fail-closed';
  if (onUnavailable !== 'fail-open' && onUnavailable !== 'fail-closed') {
    throw new TypeError(`onUnavailable must be 'fail-open' or 'fail-closed', got ${JSON.stringify(onUnavailable)}.`);
  }
  const backgroundRevalidation = options.backgroundRevalidation ?? true;
  if (typeof backgroundRevalidation !== 'boolean') {
    throw new TypeError(`backgroundRevalidation must be true or false, got ${JSON.stringify(backgroundRevalidation)}.`);
  }
  const secret = options.keySecret;
  if (secret !== undefined && (typeof secret === 'string' ? secret.length : secret.byteLength) === 0) {
    throw new TypeError(
      'keySecret must not be empty: generate one (e.g. 32 random bytes) and give it to every process of the fleet.',
    );
  }
  const leaseMs = lockSettings(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }).leaseMs;
  return {
    prefix: options.prefix ?? 'msal-persist',
    failOpen: onUnavailable === 'fail-open',
    l1MaxBytes: checkNumberOption('l1MaxBytes', options.l1MaxBytes, DEFAULT_L1_MAX_BYTES, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    }),
    refreshTokenIdleMs: checkNumberOption(
      'refreshTokenIdleMs',
      options.refreshTokenIdleMs,
      DEFAULT_REFRESH_TOKEN_IDLE_MS,
      {
        min: 1,
        max: Number.MAX_SAFE_INTEGER,
      },
    ),
    // Below a lease, a partition could expire under a holder's feet.
    minRetentionMs: checkNumberOption('minRetentionMs', options.minRetentionMs, DEFAULT_MIN_RETENTION_MS, {
      min: leaseMs,
      max: Number.MAX_SAFE_INTEGER,
    }),
    leaseMs,
    lockTimeoutMs: checkNumberOption('lockTimeoutMs', options.lockTimeoutMs, 15_000, { min: 0, max: MAX_TIMER_MS }),
    revalidateAfterMs: checkNumberOption('revalidateAfterMs', options.revalidateAfterMs, 60_000, {
      min: 0,
      max: MAX_TIMER_MS,
    }),
    backgroundRevalidation,
    breaker: new CircuitBreaker(options.breaker),
  };
}

/**
 * The Redis {@link PartitionedStore}: one msal cache per partition key (a user, an on-behalf-of
 * caller, an app + tenant), for a fleet of web servers. Every partition reuses the single-cache
 * machinery — `RedisLock` (lease, fencing), `RedisPersistence` (one Lua script per write, version
 * notifications) — over ONE connection and ONE change subscription, whatever the number of
 * partitions. Keys are hashed (no raw partition key in Redis), share a Cluster hash tag per
 * partition, and expire with what they hold (core's `cacheRetention`). An L1 in front serves reads
 * the notifications prove current with no round trip. Create it with {@link createRedisPartitionedStore}.
 *
 * @example
 * ```ts
 * await using store = await createRedisPartitionedStore({ url: 'redis://127.0.0.1:6379', prefix: 'web' });
 * const { persistence, lock } = store.partition(account.homeAccountId);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export class RedisPartitionedStore implements PartitionedStore, AsyncDisposable {
  readonly name: string;
  readonly isEncrypted: boolean;
  /** The one connection every partition runs on. */
  readonly connection: RedisConnection;
  private readonly feed: InvalidationFeed;
  private readonly context: PartitionContext;
  private readonly channel: string;
  private readonly settings: ReturnType<typeof storeSettings>;
  private readonly counters = new StoreCounters();
  /** Names a partition's keys; a closure, so the `keySecret` it holds shows in no property or log. */
  private readonly keysOf: (key: string) => PartitionKeys;
  private closed = false;
  private readonly revalidator: ReturnType<typeof setInterval> | undefined;
  private revalidating = false;
  /** Whether one script may read many partitions' versions: not on a Cluster, nor on a server that refused (CROSSSLOT). */
  private batchedStamps: boolean;

  /** Wraps an open `connection` (closed by {@link RedisPartitionedStore.close}); prefer {@link createRedisPartitionedStore}. */
  constructor(connection: RedisConnection, options: RedisPartitionedStoreOptions = {}) {
    this.connection = connection;
    this.settings = storeSettings(options);
    // A Cluster runs a script on one slot's keys only.
    this.batchedStamps = !isCluster(connection.client);
    // A copy: a caller's buffer may be reused or zeroed later.
    const secret = typeof options.keySecret === 'string' ? options.keySecret : options.keySecret?.slice();
    this.keysOf = (key) => partitionKeys(this.settings.prefix, key, secret);
    const { prefix, l1MaxBytes, failOpen, lockTimeoutMs, breaker, revalidateAfterMs } = this.settings;
    const persistence = persistenceSettings(options, connection.commandTimeoutMs);
    this.channel = partitionsChannel(prefix);
    this.name = `redis-partitions:${connection.where}/${prefix}`;
    this.isEncrypted = options.codec?.isEncrypted ?? false;
    this.feed = new InvalidationFeed(connection.client);
    const table = new PartitionTable(
      l1MaxBytes,
      (keys) => this.entryOf(keys, options),
      (entry) => this.feed.forget(this.channel, entry.keys.member),
    );
    this.context = new PartitionContext(
      connection.where,
      table,
      breaker,
      this.counters,
      failOpen,
      persistence.maxStalenessMs,
      lockTimeoutMs,
      { deliveredUpTo: () => this.feed.deliveredUpTo(this.channel), maxAgeMs: revalidateAfterMs },
    );
    // Proves the subscription delivers, so copies stay trusted without a round trip each per maxStalenessMs.
    if (persistence.maxStalenessMs > 0) this.feed.heartbeat(this.channel, Math.max(1, persistence.maxStalenessMs >> 1));
    if (this.settings.backgroundRevalidation && persistence.maxStalenessMs > 0 && revalidateAfterMs > 0) {
      this.revalidator = setInterval(
        () => void this.revalidateHeld(),
        Math.max(REVALIDATION_TICK_MIN_MS, revalidateAfterMs >> 2),
      );
      this.revalidator.unref();
    }
  }

  /** The persistence + lock pair of `key`'s partition; no I/O. The raw key reaches no Redis key, name or message. */
  partition(key: string): CachePartition {
    checkPartitionKey(key, this.name);
    const keys = this.keysOf(key);
    return {
      key,
      persistence: new RedisPartitionPersistence(this.context, keys, this.isEncrypted),
      lock: new RedisPartitionLock(this.context, keys),
    };
  }

  /** What the store did so far, per layer (see {@link RedisPartitionedStoreStats}). */
  stats(): RedisPartitionedStoreStats {
    const c = this.counters;
    const { breaker, table } = this.context;
    return {
      l1: { hits: c.l1Hits, misses: c.l1Misses, ...table.size(), evictions: table.evictions },
      redis: {
        reads: c.reads,
        hits: c.readHits,
        misses: c.readMisses,
        unchanged: c.unchanged,
        writes: c.writes,
        bytesRead: c.bytesRead,
        bytesWritten: c.bytesWritten,
        unavailable: c.unavailable,
        revalidations: c.revalidations,
        revalidationFailures: c.revalidationFailures,
      },
      lock: {
        acquired: c.lockAcquired,
        waited: c.lockWaited,
        waitMs: c.lockWaitMs,
        timeouts: c.lockTimeouts,
        inMemoryOnly: c.inMemoryOnlyHolds,
      },
      breaker: { state: breaker.state, opened: breaker.opened, shortCircuited: breaker.shortCircuited },
      failOpen: { servedFromMemory: c.servedFromMemory, keptInMemory: c.keptInMemory },
      subscription: this.feed.size(),
    };
  }

  /** Stops the subscription and closes the connection (a caller's own `client` is left open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.revalidator) clearInterval(this.revalidator);
    this.context.close();
    this.context.table.clear();
    await this.feed.close();
    await this.connection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Re-reads the version of every partition held, used within `10 × revalidateAfterMs`, whose last
   * check is half of `revalidateAfterMs` old, a batch at a time: each read settles the partition's
   * watch as a request's own would (a change message since it was sent wins), so a held partition
   * stays trusted without a round trip on the request path, and a change that publishes nothing is
   * still seen within `revalidateAfterMs`. Idle partitions cost nothing: their next read makes the
   * round trip. Nothing is sent while the breaker is not closed or Redis just failed a call; a
   * failed read ends the round (counted), and the requests that follow go to Redis themselves.
   */
  private async revalidateHeld(): Promise<void> {
    const { context, counters } = this;
    if (this.revalidating || this.closed) return;
    this.revalidating = true;
    try {
      const { revalidateAfterMs } = this.settings;
      const now = performance.now();
      const due = now - revalidateAfterMs / 2;
      const active = now - IDLE_AFTER_REVALIDATIONS * revalidateAfterMs;
      const held = context.table.select(
        (entry) => !entry.degradedHold && entry.usedAt >= active && entry.watch.checkedBefore(due),
      );
      for (let i = 0; i < held.length; i += REVALIDATION_BATCH) {
        if (this.closed || !context.healthy) return;
        const batch = held.slice(i, i + REVALIDATION_BATCH);
        if (this.batchedStamps) await this.restamp(batch);
        else await Promise.all(batch.map((entry) => entry.persistence.revalidate()));
        counters.revalidations += batch.length;
      }
    } catch (error) {
      // Left to the requests: the next read of an unchecked partition asks Redis through the breaker.
      counters.revalidationFailures++;
      // A proxy that shards one server's keyspace (some managed services) refuses a script over
      // keys of several slots: from then on, one read per partition.
      if (error instanceof Error && /CROSSSLOT/.test(error.message)) this.batchedStamps = false;
    } finally {
      this.revalidating = false;
    }
  }

  /** Reads the versions of `batch` in one script and settles each watch as its own read would. */
  private async restamp(batch: PartitionEntry[]): Promise<void> {
    const tokens = batch.map((entry) => entry.watch.begin());
    const startedAt = performance.now();
    const keys = batch.map((entry) => entry.keys.cache);
    const reply = (await this.connection.script(this.name, STAMPS, keys, [])) as unknown[];
    batch.forEach((entry, i) => {
      entry.watch.settle(String(reply[2 * i]), tokens[i] ?? -1, startedAt, Number(reply[2 * i + 1]));
    });
  }

  private entryOf(keys: PartitionKeys, options: RedisPartitionedStoreOptions): PartitionEntry {
    const { settings } = this;
    const watch = this.feed.watch(this.channel, keys.member);
    const lock = new RedisLock(
      this.connection,
      { leaseMs: settings.leaseMs, defaultTimeoutMs: settings.lockTimeoutMs },
      // A counter that outlives any hold, and a partition's shortest life.
      { keys, watch, fenceTtlMs: Math.max(settings.minRetentionMs, 3 * settings.leaseMs) },
    );
    const codec = options.codec instanceof AesGcmCodec ? options.codec.boundTo(keys.member) : options.codec;
    const persistence = new RedisPersistence(
      this.connection,
      {
        ...(codec ? { codec } : {}),
        fencedBy: lock,
        ...(options.maxStalenessMs === undefined ? {} : { maxStalenessMs: options.maxStalenessMs }),
        ...(options.minReplicas === undefined ? {} : { minReplicas: options.minReplicas }),
        ...(options.replicaTimeoutMs === undefined ? {} : { replicaTimeoutMs: options.replicaTimeoutMs }),
      },
      { keys, watch, retainMs: (plain) => this.retainMs(plain) },
    );
    return {
      keys,
      watch,
      lock,
      persistence,
      local: new MemoryLock(lock.name),
      version: undefined,
      bytes: undefined,
      usedAt: performance.now(),
      busy: 0,
      degradedHold: false,
    };
  }

  /**
   * How long from now a partition written with `plain` (null: deleted) is kept: until core's
   * `cacheRetention`, never less than `minRetentionMs`. Token expiries are on this host's clock (msal
   * stamps them with it), so the difference is taken here and Redis is given a duration, never an
   * instant: a server clock that disagrees with ours then changes nothing.
   */
  private retainMs(plain: Uint8Array | null): number {
    const floor = Math.max(1, this.settings.minRetentionMs);
    if (plain === null || plain.byteLength === 0) return floor;
    const now = Date.now();
    const until = cacheRetention(plain, { now, refreshTokenIdleMs: this.settings.refreshTokenIdleMs });
    return until === undefined ? floor : Math.max(until - now, floor);
  }
}

/**
 * Connects and returns a {@link RedisPartitionedStore}. Every option is checked before anything
 * connects; an unreachable Redis fails with `NotAvailable`/`Timeout` (even under `fail-open`: a
 * process should not start on a store it has never seen).
 *
 * @example
 * ```ts
 * const store = await createRedisPartitionedStore({ url: process.env.REDIS_URL, prefix: 'web-api' });
 * const { persistence, lock } = store.partition(`obo:${assertionHash}`);
 * await store.close();
 * ```
 */
export async function createRedisPartitionedStore(
  options: RedisPartitionedStoreOptions = {},
): Promise<RedisPartitionedStore> {
  checkConnectionOptions(options);
  storeSettings(options);
  persistenceSettings(options, expectedCommandTimeout(options));
  const connection = await RedisConnection.open(options);
  try {
    return new RedisPartitionedStore(connection, options);
  } catch (error) {
    await connection.close();
    throw error;
  }
}
