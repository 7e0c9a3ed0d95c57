import { ChangeSignal } from '@msal-persist/persistence-file';
import { KeyringPersistence, NapiKeyringStore, type SecretStore } from '@msal-persist/persistence-keyring';
import { mapKeychainError } from './keychain-errors.js';

/**
 * Options for {@link KeychainPersistence}.
 *
 * @example
 * ```ts
 * const options: KeychainPersistenceOptions = { signalPath: `${dir}/msal.cache`, service: 'my-app', account: 'MSALCache' };
 * ```
 */
export interface KeychainPersistenceOptions {
  /**
   * The signal file rewritten after every save; its stamp tells other processes to reload. Use
   * the `fileLocation` the msal-node-extensions `KeychainPersistence` uses to share its cache, and
   * put the cache plugin's `FileLock` at `${signalPath}.lockfile`.
   */
  signalPath: string;
  /** The generic password's service (msal-node-extensions' `serviceName`). */
  service: string;
  /** The generic password's account (msal-node-extensions' `accountName`). Default `MSALCache`. */
  account?: string;
  /** Longest wait for one keychain call before failing with `Timeout`. Default 5 000. */
  timeoutMs?: number;
  /** Replaces the native keychain access (tests). */
  store?: SecretStore;
}

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
  /** The generic password's service. */
  readonly service: string;

  constructor(options: KeychainPersistenceOptions) {
    const account = options.account ?? 'MSALCache';
    const name = `keychain:${options.service}/${account}`;
    super({
      name,
      account,
      signal: new ChangeSignal(options.signalPath),
      store:
        options.store ??
        new NapiKeyringStore({
          service: options.service,
          backend: name,
          platforms: ['darwin'],
          wrongPlatformHint:
            'Use @msal-persist/persistence-libsecret on Linux or @msal-persist/persistence-dpapi on Windows.',
        }),
      mapError: mapKeychainError,
      storeLabel: 'The keychain',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.service = options.service;
  }
}
