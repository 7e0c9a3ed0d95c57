import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

// Where @azure/identity-cache-persistence 1.2.0 keeps its caches (dist/esm/platforms.js), so that a
// user's existing cache is picked up. Each value below is read from there.

/** The Keychain / Secret Service service of the old package (`defaultMsalValues.keyChain` / `.keyRing`). */
export const IDENTITY_SERVICE = 'Microsoft.Developer.IdentityService';
/** The Keychain / Secret Service account of the old package. */
export const IDENTITY_ACCOUNT = 'MSALCache';
/** The cache name when none is given (`defaultMsalValues.tokenCache.name`); identity 4 adds `.nocae`/`.cae`. */
export const DEFAULT_CACHE_NAME = 'msal.cache';

/**
 * On macOS and Linux every cache name is stored in the ONE secret item above (the old package
 * did the same), so all of them must take one lock and watch one change signal, or a writer of one
 * name overwrites tokens another name just saved. They use the files of identity 4's default
 * non-CAE cache, which processes still running the old package (or another language's Azure
 * Identity) lock and touch for that cache too.
 */
export const SHARED_ITEM_FILE = 'msal.cache.nocae';

/**
 * `<local application data>/.IdentityService`, computed as the old package does: `%APPDATA%` with its
 * trailing `Roaming` replaced by `Local` (Windows), else `$HOME` (falling back to the OS's idea of
 * the home directory where the old package would have crashed at import; an empty variable is unset).
 *
 * @example
 * ```ts
 * identityCacheDirectory({ HOME: '/home/me' }, 'linux'); // '/home/me/.IdentityService'
 * ```
 */
export function identityCacheDirectory(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  // An empty variable counts as unset: the old package turned APPDATA='' into a folder `\Local`
  // under the working directory.
  const base = env.APPDATA ? env.APPDATA.replace(/(.Roaming)*$/, '\\Local') : env.HOME || homedir();
  return (platform === 'win32' ? win32 : posix).join(base, '.IdentityService');
}

/**
 * Checks a cache name: it becomes a file name in the cache directory, so it may not be a path.
 *
 * @example
 * ```ts
 * checkCacheName('my-app'); // 'my-app'
 * ```
 */
export function checkCacheName(name: string): string {
  if (!name || name === '.' || name === '..' || /[\\/\0]/.test(name)) {
    throw new TypeError(
      `tokenCachePersistenceOptions.name must be a plain file name (it names a file in the cache directory), got ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

/** Where one named cache lives: the settings handed to msal-plugin's `createPersistence`. */
export interface CacheLocation {
  /** DPAPI file (Windows); the shared item's signal file elsewhere; its `.lockfile` sibling is the lock. */
  cachePath: string;
  serviceName: string;
  accountName: string;
}

/**
 * The location of cache `name` on `platform`: on Windows its own DPAPI file `<dir>/<name>`; on
 * macOS and Linux the one shared secret item, with the shared signal and lock (see
 * {@link SHARED_ITEM_FILE}).
 *
 * @example
 * ```ts
 * cacheLocation('msal.cache.cae', { directory: '/home/me/.IdentityService' }, 'linux');
 * // { cachePath: '/home/me/.IdentityService/msal.cache.nocae', serviceName: 'Microsoft.Developer.IdentityService', accountName: 'MSALCache' }
 * ```
 */
export function cacheLocation(
  name: string,
  options: { directory: string; serviceName?: string; accountName?: string },
  platform: NodeJS.Platform = process.platform,
): CacheLocation {
  checkCacheName(name);
  const path = platform === 'win32' ? win32 : posix;
  return {
    cachePath: path.join(options.directory, platform === 'win32' ? name : SHARED_ITEM_FILE),
    serviceName: options.serviceName ?? IDENTITY_SERVICE,
    accountName: options.accountName ?? IDENTITY_ACCOUNT,
  };
}
