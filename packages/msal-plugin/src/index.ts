export type {
  CacheChangedListener,
  CacheChangeSource,
  Lock,
  LockAcquireOptions,
  Logger,
  LoggerOptions,
  Persistence,
  PersistenceCachePluginOptions,
} from '@msal-persist/core';
export {
  CACHE_CHANGED,
  CacheChangedEvent,
  isPersistenceError,
  PersistenceCachePlugin,
  PersistenceError,
  PersistenceErrorCode,
} from '@msal-persist/core';
export type { BackendName } from './backends.js';
export { backendFor, encryptedBackendsFor } from './backends.js';
export type { CacheLocation, CacheLocationOptions } from './cache-location.js';
export { cacheLocation } from './cache-location.js';
export type { CreateCachePluginOptions, VerifyResult } from './create-cache-plugin.js';
export { createCachePlugin, MsalCachePlugin } from './create-cache-plugin.js';
export type { CreateFolderStoreOptions, FolderStoreEncryption } from './create-folder-store.js';
export { createFolderStore, FolderStore } from './create-folder-store.js';
export type { CreatePersistenceOptions, PersistenceSelection } from './create-persistence.js';
export { createPersistence } from './create-persistence.js';
export { defaultCacheDirectory } from './default-paths.js';
export type { CacheWatcher, WatchOptions } from './watch-cache.js';
