export type { Logger } from '@msal-persist/core';
export { isPersistenceError, PersistenceError, PersistenceErrorCode } from '@msal-persist/core';
export { identityCacheDirectory } from './cache-location.js';
export type { CachePersistencePluginOptions } from './cache-persistence-plugin.js';
export { cachePersistencePlugin, createCachePersistencePlugin } from './cache-persistence-plugin.js';
export type { IdentityPlugin, PersistenceFactory, TokenCachePersistenceOptions } from './plugin-context.js';
