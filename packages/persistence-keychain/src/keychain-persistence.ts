import {
  KeyringPersistence,
  type OsKeyringOptions,
  type OsKeyringProfile,
  osKeyringOptions,
} from '@msal-persist/persistence-keyring';
import { mapKeychainError } from './keychain-errors.js';

/**
 * Options for {@link KeychainPersistence}.
 *
 * @example
 * ```ts
 * const options: KeychainPersistenceOptions = { signalPath: `${dir}/msal.cache`, service: 'my-app', account: 'MSALCache' };
 * ```
 */
export type KeychainPersistenceOptions = OsKeyringOptions;

const PROFILE: OsKeyringProfile = {
  prefix: 'keychain',
  platforms: ['darwin'],
  wrongPlatformHint: 'Use @msal-persist/persistence-libsecret on Linux or @msal-persist/persistence-dpapi on Windows.',
  mapError: mapKeychainError,
  storeLabel: 'The keychain',
  loadNative: () => import('@napi-rs/keyring'),
};

/**
 * The msal token cache as a generic password in the macOS login keychain, through
 * `@napi-rs/keyring`. The password holds the cache's UTF-8 JSON exactly as the other MSAL
 * extensions store it, so they can share one cache given the same service and account.
 *
 * @example
 * ```ts
 * const persistence = new KeychainPersistence({ signalPath: `${dir}/msal.cache`, service: 'my-app' });
 * const lock = new FileLock(`${dir}/msal.cache.lockfile`);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export class KeychainPersistence extends KeyringPersistence {
  /** The item's service. */
  readonly service: string;

  constructor(options: KeychainPersistenceOptions) {
    super(osKeyringOptions(PROFILE, options));
    this.service = options.service;
  }
}
