export { asideName } from './aside-name.js';
export type { BinaryInput } from './bytes.js';
export { bytesToText, isEmpty, textToBytes, toBytes } from './bytes.js';
export type { CacheChangeSource } from './cache-changed-event.js';
export { CACHE_CHANGED, CacheChangedEvent } from './cache-changed-event.js';
export type {
  CacheChangedListener,
  CachePluginStats,
  PersistenceCachePluginOptions,
  PreloadedCache,
} from './cache-plugin.js';
export { PersistenceCachePlugin } from './cache-plugin.js';
export type { CacheRetentionOptions } from './cache-retention.js';
export { cacheRetention, DEFAULT_REFRESH_TOKEN_IDLE_MS } from './cache-retention.js';
export type { BytesCodec } from './codec.js';
export { delay } from './delay.js';
export type { PersistenceErrorOptions } from './errors.js';
export { isPersistenceError, PersistenceError, PersistenceErrorCode } from './errors.js';
export type { Lock, LockAcquireOptions, LockHandle } from './lock.js';
export type { Logger, LoggerOptions } from './logger.js';
export { consoleLogger, loggerFromOptions, resolveLogger } from './logger.js';
export { MemoryLock } from './memory-lock.js';
export type { MemoryPartitionedStoreOptions } from './memory-partitioned-store.js';
export { MemoryPartitionedStore } from './memory-partitioned-store.js';
export { MemoryPersistence } from './memory-persistence.js';
export type { CacheContext, CachePlugin, SerializableTokenCache } from './msal-types.js';
export type { NumberOptionLimits } from './options.js';
export { checkNumberOption } from './options.js';
export type { CachePartition, PartitionedStore } from './partitioned-store.js';
export { checkPartitionKey } from './partitioned-store.js';
export type { Persistence, SaveOptions } from './persistence.js';
export type { SingleFlightOptions, SingleFlightResult } from './single-flight.js';
export { singleFlight } from './single-flight.js';
