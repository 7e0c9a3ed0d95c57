// `@msal-persist/msal-plugin/compat`: the names `@azure/msal-node-extensions` users have in their
// code, over our classes. Moving is one import line; see MIGRATING.md for what differs.

export type { LoggerOptions } from '@msal-persist/core';
export { DataProtectionScope } from './data-protection-scope.js';
export { Environment } from './environment.js';
export type { IPersistence } from './extension-persistence.js';
export {
  FilePersistence,
  FilePersistenceWithDataProtection,
  KernelKeyringPersistence,
  KeychainPersistence,
  LibSecretPersistence,
} from './extension-persistence.js';
export { PersistenceCachePlugin } from './persistence-cache-plugin.js';
export { PersistenceCreator } from './persistence-creator.js';
export type { CrossPlatformLockOptions, IPersistenceConfiguration } from './types.js';
