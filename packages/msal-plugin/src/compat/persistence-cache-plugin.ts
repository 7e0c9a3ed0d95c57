import {
  type CacheContext,
  type CachePlugin,
  PersistenceCachePlugin as CorePersistenceCachePlugin,
  checkNumberOption,
} from '@msal-persist/core';
import { backingOf, type IPersistence } from './extension-persistence.js';
import type { CrossPlatformLockOptions } from './types.js';

function lockTimeoutMs(options: CrossPlatformLockOptions): number {
  const retries = checkNumberOption('lockOptions.retryNumber', options.retryNumber, 0, { min: 1 });
  const delay = checkNumberOption('lockOptions.retryDelay', options.retryDelay, 0, { min: 1 });
  return retries * delay;
}

/**
 * The msal cache plugin, under `@azure/msal-node-extensions`' name and constructor: our
 * reload-on-change plugin over the persistence and its `<cachePath>.lockfile` lock. `lockOptions`
 * bounds the wait for the lock at `retryNumber × retryDelay` ms (default 15 s).
 *
 * @example
 * ```ts
 * const persistence = await PersistenceCreator.createPersistence(config);
 * const app = new PublicClientApplication({ auth: { clientId }, cache: { cachePlugin: new PersistenceCachePlugin(persistence) } });
 * ```
 */
export class PersistenceCachePlugin implements CachePlugin {
  /** The persistence this plugin saves to. */
  readonly persistence: IPersistence;
  private readonly plugin: CorePersistenceCachePlugin;

  constructor(persistence: IPersistence, lockOptions?: CrossPlatformLockOptions) {
    const backing = backingOf(persistence);
    if (!backing) {
      throw new TypeError(
        'PersistenceCachePlugin from @msal-persist/msal-plugin/compat takes a persistence made by this module ' +
          '(PersistenceCreator.createPersistence or a persistence class’s create). For a storage of your own, ' +
          'implement Persistence from @msal-persist/core and use its PersistenceCachePlugin (see MIGRATING.md).',
      );
    }
    this.plugin = new CorePersistenceCachePlugin({
      persistence: backing.persistence,
      lock: backing.lock,
      logger: backing.logger,
      ...(lockOptions === undefined ? {} : { lockTimeoutMs: lockTimeoutMs(lockOptions) }),
    });
    this.persistence = persistence;
  }

  /** Called by msal before it reads or changes the cache. */
  beforeCacheAccess(context: CacheContext): Promise<void> {
    return this.plugin.beforeCacheAccess(context);
  }

  /** Called by msal after it read or changed the cache. */
  afterCacheAccess(context: CacheContext): Promise<void> {
    return this.plugin.afterCacheAccess(context);
  }
}
