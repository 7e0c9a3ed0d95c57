import type { LoggerOptions } from '@msal-persist/core';
import type { DataProtectionScope } from './data-protection-scope.js';

/**
 * What `PersistenceCreator.createPersistence` takes, with the fields of `@azure/msal-node-extensions`.
 *
 * @example
 * ```ts
 * const config: IPersistenceConfiguration = {
 *   cachePath: '/home/me/.cache/my-app/cache.json',
 *   dataProtectionScope: DataProtectionScope.CurrentUser,
 *   serviceName: 'my-app',
 *   accountName: 'MSALCache',
 * };
 * ```
 */
export interface IPersistenceConfiguration {
  /** The cache file on Windows; elsewhere the change-signal file. Its `.lockfile` sibling is the lock. Required. */
  cachePath?: string;
  /** Required on Windows, where the cache is encrypted for the current user whatever this says (as before). */
  dataProtectionScope?: DataProtectionScope;
  /** Keychain / Secret Service service. Required on macOS and Linux. */
  serviceName?: string;
  /** Keychain / Secret Service account. Required on macOS and Linux. */
  accountName?: string;
  /** On Linux, use a plaintext file (mode 0600, `<cachePath>.plaintext.json`) when no Secret Service works. */
  usePlaintextFileOnLinux?: boolean;
  /** Where warnings and errors go (msal's `LoggerOptions`). */
  loggerOptions?: LoggerOptions;
}

/**
 * How long `PersistenceCachePlugin` waits for the cross-process lock: `retryNumber × retryDelay`
 * milliseconds in all (the waiting itself is ours: short polls, a dead holder's lock broken at once).
 *
 * @example
 * ```ts
 * const lockOptions: CrossPlatformLockOptions = { retryNumber: 100, retryDelay: 50 }; // up to 5 s
 * ```
 */
export interface CrossPlatformLockOptions {
  retryNumber: number;
  retryDelay: number;
}
