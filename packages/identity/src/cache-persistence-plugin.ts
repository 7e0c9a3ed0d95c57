import type { Logger } from '@msal-persist/core';
import { createCachePlugin, type MsalCachePlugin } from '@msal-persist/msal-plugin';
import { cacheLocation, DEFAULT_CACHE_NAME, identityCacheDirectory } from './cache-location.js';
import { LazyPromise } from './lazy-promise.js';
import {
  cachePluginControl,
  type IdentityPlugin,
  type PersistenceFactory,
  type TokenCachePersistenceOptions,
} from './plugin-context.js';

/**
 * Options for {@link createCachePersistencePlugin}. The defaults are `@azure/identity-cache-persistence`'s.
 *
 * @example
 * ```ts
 * const options: CachePersistencePluginOptions = { serviceName: 'my-app' };
 * ```
 */
export interface CachePersistencePluginOptions {
  /** The cache directory. Default `~/.IdentityService` (Windows: `%LOCALAPPDATA%\.IdentityService`). */
  directory?: string;
  /** Keychain / Secret Service service. Default `Microsoft.Developer.IdentityService`, shared by every app using the default. */
  serviceName?: string;
  /** Keychain / Secret Service account. Default `MSALCache`. */
  accountName?: string;
  /** Receives the plaintext-fallback warning and failed-save errors. Default: the console. */
  logger?: Logger;
}

/**
 * An identity plugin like {@link cachePersistencePlugin}, with its own cache location: give your
 * app its own `serviceName` (or `directory`) to keep its tokens out of the cache every other app
 * using the defaults shares.
 *
 * @example
 * ```ts
 * import { useIdentityPlugin } from '@azure/identity';
 * import { createCachePersistencePlugin } from '@msal-persist/identity';
 *
 * useIdentityPlugin(createCachePersistencePlugin({ serviceName: 'my-app' }));
 * ```
 */
export function createCachePersistencePlugin(options: CachePersistencePluginOptions = {}): IdentityPlugin {
  // One plugin per store in this process: identity's CAE and non-CAE applications (and every
  // credential) writing one store then queue on one in-process mutex and one lock.
  const plugins = new Map<string, Promise<MsalCachePlugin>>();

  function pluginFor(persistenceOptions: TokenCachePersistenceOptions | undefined): Promise<MsalCachePlugin> {
    const location = cacheLocation(persistenceOptions?.name || DEFAULT_CACHE_NAME, {
      directory: options.directory ?? identityCacheDirectory(),
      ...(options.serviceName ? { serviceName: options.serviceName } : {}),
      ...(options.accountName ? { accountName: options.accountName } : {}),
    });
    const allowPlaintextFallback = persistenceOptions?.unsafeAllowUnencryptedStorage === true;
    const key = JSON.stringify([location, allowPlaintextFallback]);
    let plugin = plugins.get(key);
    if (!plugin) {
      const created = createCachePlugin({
        ...location,
        allowPlaintextFallback,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      // A failure is not kept: the next getToken tries again (the keyring may be unlocked by then).
      created.catch(() => {
        if (plugins.get(key) === created) plugins.delete(key);
      });
      plugins.set(key, created);
      plugin = created;
    }
    return plugin;
  }

  const factory: PersistenceFactory = (persistenceOptions) => new LazyPromise(() => pluginFor(persistenceOptions));
  return (context) => cachePluginControl(context).setPersistence(factory);
}

/**
 * The drop-in for `@azure/identity-cache-persistence`: only the import changes. Same cache
 * locations (DPAPI `%LOCALAPPDATA%\.IdentityService\<name>` on Windows, the Keychain / Secret Service
 * item `Microsoft.Developer.IdentityService` / `MSALCache` elsewhere), so an existing cache is
 * picked up. It never fails at credential construction: an unusable store is a `PersistenceError`
 * from the first `getToken`.
 *
 * @example
 * ```ts
 * import { DeviceCodeCredential, useIdentityPlugin } from '@azure/identity';
 * import { cachePersistencePlugin } from '@msal-persist/identity';
 *
 * useIdentityPlugin(cachePersistencePlugin);
 * const credential = new DeviceCodeCredential({ tokenCachePersistenceOptions: { enabled: true } });
 * ```
 */
export const cachePersistencePlugin: IdentityPlugin = createCachePersistencePlugin();
