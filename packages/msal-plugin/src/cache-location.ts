import { join } from 'node:path';
import { type BackendName, storagePath } from './backends.js';
import { defaultCacheDirectory } from './default-paths.js';

/**
 * Where one backend keeps an app's cache, as {@link createCachePlugin} would use it.
 *
 * @example
 * ```ts
 * const { file, lock } = cacheLocation('kernel-keyring', { appName: 'my-cli' });
 * ```
 */
export interface CacheLocation {
  /** The backend. */
  backend: BackendName;
  /** The file the cache is stored in, or for Keychain and Secret Service the change-signal file beside the secret. */
  file: string;
  /** Keychain and Secret Service: the change-signal file other processes stamp (the same as `file`). */
  signal?: string;
  /** The cross-process lock, `<cachePath>.lockfile`, shared with the other MSAL extensions. */
  lock: string;
  /** Keychain and Secret Service: the item, as `service/account`. */
  item?: string;
}

/**
 * The options {@link cacheLocation} reads: those of `createCachePlugin` that place the cache.
 *
 * @example
 * ```ts
 * const options: CacheLocationOptions = { appName: 'my-cli', accountName: 'MSALCache' };
 * ```
 */
export interface CacheLocationOptions {
  appName?: string;
  cachePath?: string;
  serviceName?: string;
  accountName?: string;
}

/**
 * Where `backend` keeps the cache of an app created with these options; `file` is the plaintext
 * fallback (`<cachePath>.plaintext.json`), as `allowPlaintextFallback` uses it. Nothing is read.
 *
 * @example
 * ```ts
 * cacheLocation('libsecret', { appName: 'my-cli' });
 * // { backend: 'libsecret', file: '/home/me/.cache/my-cli/msal.cache', signal: '/home/me/.cache/my-cli/msal.cache',
 * //   lock: '/home/me/.cache/my-cli/msal.cache.lockfile', item: 'my-cli/MSALCache' }
 * ```
 */
export function cacheLocation(backend: BackendName, options: CacheLocationOptions = {}): CacheLocation {
  const appName = options.appName ?? 'msal-persist';
  const cachePath = options.cachePath ?? join(defaultCacheDirectory(appName), 'msal.cache');
  const file = storagePath(backend, cachePath, { fallback: true });
  const lock = `${cachePath}.lockfile`;
  if (backend !== 'libsecret' && backend !== 'keychain') return { backend, file, lock };
  const item = `${options.serviceName ?? appName}/${options.accountName ?? 'MSALCache'}`;
  return { backend, file, signal: file, lock, item };
}
