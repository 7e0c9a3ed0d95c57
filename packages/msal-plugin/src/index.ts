export type { LockAcquireOptions, Logger, Persistence, PersistenceCachePluginOptions } from '@msal-persist/core';
export { isPersistenceError, PersistenceCachePlugin, PersistenceError, PersistenceErrorCode } from '@msal-persist/core';
export type { BackendName } from './backends.js';
export { backendFor } from './backends.js';
export type { CreateCachePluginOptions } from './create-cache-plugin.js';
export { createCachePlugin, MsalCachePlugin } from './create-cache-plugin.js';
export type { CreatePersistenceOptions, PersistenceSelection } from './create-persistence.js';
export { createPersistence } from './create-persistence.js';
export { defaultCacheDirectory } from './default-paths.js';
