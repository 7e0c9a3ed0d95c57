import { expectedCommandTimeout } from './redis-client.js';
import { checkConnectionOptions, RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { lockSettings, RedisLock, type RedisLockSettings } from './redis-lock.js';
import { persistenceSettings, RedisPersistence, type RedisPersistenceSettings } from './redis-persistence.js';

/**
 * Options for {@link createRedisCache}: connection, keys, TTL, codec and lock settings.
 *
 * @example
 * ```ts
 * const options: RedisCacheOptions = { url: 'redis://cache:6379', prefix: 'my-daemon', partition: 'prod' };
 * ```
 */
export interface RedisCacheOptions
  extends RedisConnectionOptions,
    Omit<RedisPersistenceSettings, 'fencedBy'>,
    RedisLockSettings {}

/**
 * A fenced pair over one Redis connection: pass `persistence` and `lock` to
 * `PersistenceCachePlugin`. Close it (or `await using`) to quit a client it created.
 *
 * @example
 * ```ts
 * await using cache = await createRedisCache({ url });
 * const cachePlugin = new PersistenceCachePlugin({ persistence: cache.persistence, lock: cache.lock });
 * ```
 */
export interface RedisCache extends AsyncDisposable {
  /** The cache blob, its saves fenced by `lock`. */
  readonly persistence: RedisPersistence;
  /** The cross-machine lock. */
  readonly lock: RedisLock;
  /** The shared connection. */
  readonly connection: RedisConnection;
  /** Quits the client if this call created it (a caller's `client` is left alone). */
  close(): Promise<void>;
}

/**
 * Connects and builds the {@link RedisLock} and the {@link RedisPersistence} fenced by it, so a
 * holder whose lease expired can never overwrite a newer write (it gets `LockLost`).
 *
 * @example
 * ```ts
 * const cache = await createRedisCache({ url: 'redis://127.0.0.1:6379', partition: 'tenant-a' });
 * const app = new ConfidentialClientApplication({
 *   auth: { clientId, authority, clientSecret },
 *   cache: { cachePlugin: new PersistenceCachePlugin({ persistence: cache.persistence, lock: cache.lock }) },
 * });
 * ```
 */
export async function createRedisCache(options: RedisCacheOptions = {}): Promise<RedisCache> {
  // Every option is checked before anything connects: a bad one is a TypeError/RangeError naming it.
  checkConnectionOptions(options);
  lockSettings(options);
  persistenceSettings(options, expectedCommandTimeout(options));
  const connection = await RedisConnection.open(options);
  let lock: RedisLock;
  let persistence: RedisPersistence;
  try {
    lock = new RedisLock(connection, options);
    persistence = new RedisPersistence(connection, { ...options, fencedBy: lock });
  } catch (error) {
    // Nothing checked above should throw here; if it does, do not leave a client of ours behind.
    await connection.close();
    throw error;
  }
  const close = () => connection.close();
  return { persistence, lock, connection, close, [Symbol.asyncDispose]: close };
}
