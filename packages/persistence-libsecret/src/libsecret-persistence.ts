import {
  KeyringPersistence,
  type OsKeyringOptions,
  type OsKeyringProfile,
  osKeyringOptions,
} from '@msal-persist/persistence-keyring';
import { mapSecretServiceError } from './secret-service-errors.js';

/**
 * Options for {@link LibsecretPersistence}.
 *
 * @example
 * ```ts
 * const options: LibsecretPersistenceOptions = { signalPath: '/home/me/.cache/my-app/msal.cache', service: 'my-app' };
 * ```
 */
export type LibsecretPersistenceOptions = OsKeyringOptions;

const PROFILE: OsKeyringProfile = {
  prefix: 'libsecret',
  platforms: ['linux'],
  wrongPlatformHint: 'Use @msal-persist/persistence-keychain on macOS or @msal-persist/persistence-dpapi on Windows.',
  mapError: (error, context) => mapSecretServiceError(error, context),
  storeLabel: 'The Secret Service',
};

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
  /** The item's service. */
  readonly service: string;

  constructor(options: LibsecretPersistenceOptions) {
    super(osKeyringOptions(PROFILE, options));
    this.service = options.service;
  }
}
