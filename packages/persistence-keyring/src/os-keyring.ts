import { ChangeSignal } from '@msal-persist/persistence-file';
import type { KeyringErrorMapper } from './keyring-error.js';
import type { KeyringPersistenceOptions } from './keyring-persistence.js';
import { NapiKeyringStore } from './napi-keyring-store.js';
import type { SecretStore } from './secret-store.js';

/**
 * What a user passes to an OS keyring backend (`KeychainPersistence`, `LibsecretPersistence`).
 *
 * @example
 * ```ts
 * const options: OsKeyringOptions = { signalPath: `${dir}/msal.cache`, service: 'my-app' };
 * ```
 */
export interface OsKeyringOptions {
  /**
   * The signal file rewritten after every save; its stamp tells other processes to reload. Put the
   * cache plugin's `FileLock` at `${signalPath}.lockfile`. To share a cache with the msal-node
   * extensions, use the file location they use.
   */
  signalPath: string;
  /** The item's service (msal-node-extensions' `serviceName`): name your application. */
  service: string;
  /** The item's account (msal-node-extensions' `accountName`). Default `MSALCache`. */
  account?: string;
  /** Longest wait for one store call before failing with `Timeout`. Default 5 000. */
  timeoutMs?: number;
  /** Replaces the native store access (tests). */
  store?: SecretStore;
}

/**
 * What differs between the OS keyring backends.
 *
 * @example
 * ```ts
 * const profile: OsKeyringProfile = {
 *   prefix: 'keychain',
 *   platforms: ['darwin'],
 *   storeLabel: 'The keychain',
 *   wrongPlatformHint: '…',
 *   mapError,
 *   loadNative: () => import('@napi-rs/keyring'),
 * };
 * ```
 */
export interface OsKeyringProfile {
  /** Backend name prefix: `keychain` gives `keychain:<service>/<account>`. */
  prefix: string;
  /** Where the native store works. */
  platforms: NodeJS.Platform[];
  /** Said when used elsewhere: which package to use instead. */
  wrongPlatformHint: string;
  /** Maps the store's errors to typed ones. */
  mapError: KeyringErrorMapper;
  /** The store's name in messages. */
  storeLabel: string;
  /** Imports the native binding, from the package that depends on it: `() => import('@napi-rs/keyring')`. */
  loadNative: () => Promise<unknown>;
}

/**
 * Resolves an OS backend's options into {@link KeyringPersistenceOptions}: the default account,
 * the backend name, the change signal, and the lazily loaded native store for that OS.
 *
 * @example
 * ```ts
 * class KeychainPersistence extends KeyringPersistence {
 *   constructor(options: OsKeyringOptions) { super(osKeyringOptions(KEYCHAIN, options)); }
 * }
 * ```
 */
export function osKeyringOptions(profile: OsKeyringProfile, options: OsKeyringOptions): KeyringPersistenceOptions {
  const account = options.account ?? 'MSALCache';
  const name = `${profile.prefix}:${options.service}/${account}`;
  return {
    name,
    account,
    signal: new ChangeSignal(options.signalPath),
    store:
      options.store ??
      new NapiKeyringStore({
        service: options.service,
        backend: name,
        platforms: profile.platforms,
        wrongPlatformHint: profile.wrongPlatformHint,
        loadNative: profile.loadNative,
      }),
    mapError: profile.mapError,
    storeLabel: profile.storeLabel,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
}
