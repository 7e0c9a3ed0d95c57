import { ChangeSignal } from '@msal-persist/persistence-file';
import { KeyringPersistence, NapiKeyringStore, type SecretStore } from '@msal-persist/persistence-keyring';
import { mapSecretServiceError } from './secret-service-errors.js';

/**
 * Options for {@link LibsecretPersistence}.
 *
 * @example
 * ```ts
 * const options: LibsecretPersistenceOptions = { signalPath: '/home/me/.cache/my-app/msal.cache', service: 'my-app' };
 * ```
 */
export interface LibsecretPersistenceOptions {
  /**
   * The signal file rewritten after every save; its stamp tells other processes to reload. Put
   * the cache plugin's `FileLock` beside it at `${signalPath}.lockfile`.
   */
  signalPath: string;
  /** The item's `service` attribute: name your application. */
  service: string;
  /** The item's `username` attribute. Default `MSALCache`. */
  account?: string;
  /** Longest wait for one Secret Service call before failing with `Timeout`. Default 5 000. */
  timeoutMs?: number;
  /** Replaces the native Secret Service access (tests). */
  store?: SecretStore;
}

/**
 * The msal token cache as one secret in the Linux Secret Service (GNOME Keyring, KWallet),
 * through `@napi-rs/keyring`: no libsecret, no compiler. The item carries the attributes
 * `service` and `username` (keyring-rs's schema) and the label `keyring:<account>@<service>`.
 *
 * @example
 * ```ts
 * const persistence = new LibsecretPersistence({ signalPath: `${dir}/msal.cache`, service: 'my-app' });
 * const lock = new FileLock(`${dir}/msal.cache.lockfile`);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export class LibsecretPersistence extends KeyringPersistence {
  /** The `service` attribute. */
  readonly service: string;

  constructor(options: LibsecretPersistenceOptions) {
    const account = options.account ?? 'MSALCache';
    const name = `libsecret:${options.service}/${account}`;
    super({
      name,
      account,
      signal: new ChangeSignal(options.signalPath),
      store:
        options.store ??
        new NapiKeyringStore({
          service: options.service,
          backend: name,
          platforms: ['linux'],
          wrongPlatformHint:
            'Use @msal-persist/persistence-keychain on macOS or @msal-persist/persistence-dpapi on Windows.',
        }),
      mapError: (error, context) => mapSecretServiceError(error, context),
      storeLabel: 'The Secret Service',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.service = options.service;
  }
}
