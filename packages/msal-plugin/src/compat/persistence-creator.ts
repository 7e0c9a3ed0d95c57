import { loggerFromOptions } from '@msal-persist/core';
import { type BackendName, backendFor } from '../backends.js';
import { createPersistence } from '../create-persistence.js';
import { DataProtectionScope } from './data-protection-scope.js';
import {
  type Backing,
  FilePersistence,
  FilePersistenceWithDataProtection,
  type IPersistence,
  KernelKeyringPersistence,
  KeychainPersistence,
  LibSecretPersistence,
} from './extension-persistence.js';
import type { IPersistenceConfiguration } from './types.js';

const classes = {
  file: FilePersistence,
  dpapi: FilePersistenceWithDataProtection,
  keychain: KeychainPersistence,
  libsecret: LibSecretPersistence,
  'kernel-keyring': KernelKeyringPersistence,
} satisfies Record<BackendName, new (backing: Backing) => IPersistence>;

function requireFields(config: IPersistenceConfiguration, backend: BackendName | undefined): void {
  const needed: Array<keyof IPersistenceConfiguration> =
    backend === 'dpapi' ? ['cachePath', 'dataProtectionScope'] : ['cachePath', 'serviceName', 'accountName'];
  const missing = needed.filter((field) => !config[field]);
  if (missing.length > 0) {
    throw new TypeError(
      `PersistenceCreator.createPersistence needs ${missing.join(', ')} on ${process.platform} (got ${missing
        .map((field) => `${field}: ${JSON.stringify(config[field])}`)
        .join(', ')}).`,
    );
  }
}

/**
 * Picks, verifies and returns the persistence for this OS, as `@azure/msal-node-extensions`'
 * `PersistenceCreator` does: DPAPI on Windows, Keychain on macOS, Secret Service on Linux — and,
 * unlike it, the kernel keyring where Linux has no Secret Service — with a plaintext file only when
 * `usePlaintextFileOnLinux` is set and neither works.
 *
 * @example
 * ```ts
 * const persistence = await PersistenceCreator.createPersistence({ cachePath, dataProtectionScope: DataProtectionScope.CurrentUser, serviceName: 'my-app', accountName: 'MSALCache' });
 * const app = new PublicClientApplication({ auth: { clientId }, cache: { cachePlugin: new PersistenceCachePlugin(persistence) } });
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the peer's API is a class of static methods, kept for drop-in use.
export class PersistenceCreator {
  /**
   * Resolves with a verified persistence, or rejects with a `PersistenceError` (for example
   * `NotAvailable` on Linux without a Secret Service) whose message says what to do. Missing
   * required fields are a `TypeError`.
   */
  static async createPersistence(config: IPersistenceConfiguration): Promise<IPersistence> {
    const backend = backendFor(process.platform);
    requireFields(config, backend);
    // Checked by requireFields; repeated for the type.
    const cachePath = config.cachePath ?? '';
    const logger = loggerFromOptions(config.loggerOptions);
    const selection = await createPersistence({
      cachePath,
      ...(config.serviceName ? { serviceName: config.serviceName } : {}),
      ...(config.accountName ? { accountName: config.accountName } : {}),
      // As before: the cache is encrypted for the current user whatever the configuration says,
      // which is also what lets an existing cache decrypt.
      dataProtectionScope: DataProtectionScope.CurrentUser,
      allowPlaintextFallback: process.platform === 'linux' && config.usePlaintextFileOnLinux === true,
      logger,
    });
    const verifyAs: BackendName = selection.backend;
    const backing: Backing = {
      persistence: selection.persistence,
      lock: selection.lock,
      logger,
      path: cachePath,
      verify: () =>
        createPersistence({
          backend: verifyAs,
          cachePath: selection.cachePath,
          ...(config.serviceName ? { serviceName: config.serviceName } : {}),
          ...(config.accountName ? { accountName: config.accountName } : {}),
          logger,
        }),
    };
    return new classes[selection.backend](backing);
  }
}
