import {
  bytesToText,
  type Lock,
  type Logger,
  type LoggerOptions,
  loggerFromOptions,
  type Persistence,
  textToBytes,
} from '@msal-persist/core';
import { type BackendName, type BackendSettings, loadBackend } from '../backends.js';
import { createPersistence } from '../create-persistence.js';
import { DataProtectionScope } from './data-protection-scope.js';

/**
 * What the persistences of this module offer, under the names of `@azure/msal-node-extensions`'
 * `IPersistence`. Only objects made here can be given to this module's `PersistenceCachePlugin`.
 *
 * @example
 * ```ts
 * const persistence: IPersistence = await PersistenceCreator.createPersistence(config);
 * const text = await persistence.load();
 * ```
 */
export interface IPersistence {
  /** Stores the cache text (atomically). */
  save(contents: string): Promise<void>;
  /** The stored cache text, or `null` when nothing is stored. */
  load(): Promise<string | null>;
  /** Removes the stored cache; `true` when something was stored. */
  delete(): Promise<boolean>;
  /** The configured cache path; its `.lockfile` sibling is the lock. */
  getFilePath(): string;
  /** Proves the store works with a write/read/delete beside the cache; resolves `true` or rejects with a `PersistenceError`. */
  verifyPersistence(): Promise<boolean>;
}

/** Our parts behind a persistence of this module. */
export interface Backing {
  persistence: Persistence;
  lock: Lock;
  logger: Logger;
  path: string;
  verify: () => Promise<unknown>;
}

const backings = new WeakMap<object, Backing>();

/** Our persistence and lock behind an {@link IPersistence} made by this module, or `undefined`. */
export function backingOf(persistence: unknown): Backing | undefined {
  return typeof persistence === 'object' && persistence !== null ? backings.get(persistence) : undefined;
}

/** Builds a backend as the main entry does (same files, same lock), without its probe. */
export async function backingFor(
  backend: BackendName,
  settings: Pick<BackendSettings, 'cachePath'> & Partial<BackendSettings>,
  loggerOptions: LoggerOptions | undefined,
): Promise<Backing> {
  const resolved: BackendSettings = {
    serviceName: '',
    accountName: 'MSALCache',
    dataProtectionScope: DataProtectionScope.CurrentUser,
    ...settings,
  };
  const logger = loggerFromOptions(loggerOptions);
  const { persistence, lock } = await loadBackend(backend, resolved);
  const { cachePath, serviceName, accountName, dataProtectionScope, entropy } = resolved;
  return {
    persistence,
    lock,
    logger,
    path: cachePath,
    verify: () =>
      createPersistence({
        backend,
        cachePath,
        // A file persistence has no service: leave the default rather than pass an empty name.
        ...(serviceName ? { serviceName } : {}),
        accountName,
        dataProtectionScope,
        ...(entropy === undefined ? {} : { entropy }),
        logger,
      }),
  };
}

/**
 * The shared behaviour of this module's persistences: a thin face over our own (`Persistence`
 * plus the `FileLock` at `<cachePath>.lockfile`).
 */
abstract class ExtensionPersistence implements IPersistence {
  /** @internal Use the class's `create`, or `PersistenceCreator.createPersistence`. */
  constructor(backing: Backing) {
    backings.set(this, backing);
  }

  private get backing(): Backing {
    // Set by the constructor, the only way to make one.
    return backings.get(this) as Backing;
  }

  /** Whether the OS encrypts what this persistence stores. */
  get isEncrypted(): boolean {
    return this.backing.persistence.isEncrypted;
  }

  async save(contents: string): Promise<void> {
    await this.backing.persistence.save(textToBytes(contents));
  }

  async load(): Promise<string | null> {
    const data = await this.backing.persistence.load();
    return data === null ? null : bytesToText(data);
  }

  async delete(): Promise<boolean> {
    const { persistence } = this.backing;
    // Unreadable content counts as something stored: it is removed all the same.
    const stored = await persistence.load().then(
      (data) => data !== null,
      () => true,
    );
    await persistence.delete();
    return stored;
  }

  getFilePath(): string {
    return this.backing.path;
  }

  async verifyPersistence(): Promise<boolean> {
    await this.backing.verify();
    return true;
  }
}

/**
 * A plaintext cache file (mode 0600), as `@azure/msal-node-extensions`' `FilePersistence`.
 *
 * @example
 * ```ts
 * const persistence = await FilePersistence.create('/home/me/.cache/my-app/cache.json');
 * const cachePlugin = new PersistenceCachePlugin(persistence);
 * ```
 */
export class FilePersistence extends ExtensionPersistence {
  static async create(fileLocation: string, loggerOptions?: LoggerOptions): Promise<FilePersistence> {
    return new FilePersistence(await backingFor('file', { cachePath: fileLocation }, loggerOptions));
  }
}

/**
 * A DPAPI-encrypted cache file (Windows), as `@azure/msal-node-extensions`' class of that name:
 * the same file format, so an existing cache is read.
 *
 * @example
 * ```ts
 * const persistence = await FilePersistenceWithDataProtection.create(path, DataProtectionScope.CurrentUser);
 * ```
 */
export class FilePersistenceWithDataProtection extends ExtensionPersistence {
  static async create(
    fileLocation: string,
    scope: DataProtectionScope,
    optionalEntropy?: string,
    loggerOptions?: LoggerOptions,
  ): Promise<FilePersistenceWithDataProtection> {
    const settings = {
      cachePath: fileLocation,
      dataProtectionScope: scope,
      // The old package ignored an empty entropy string; so do we, or its caches would not decrypt.
      ...(optionalEntropy ? { entropy: optionalEntropy } : {}),
    };
    return new FilePersistenceWithDataProtection(await backingFor('dpapi', settings, loggerOptions));
  }
}

/**
 * A generic password in the macOS login keychain, as `@azure/msal-node-extensions`' class of that
 * name: the same service and account, so an existing cache is read. `fileLocation` is the
 * change-signal file, and its `.lockfile` sibling the lock.
 *
 * @example
 * ```ts
 * const persistence = await KeychainPersistence.create(`${dir}/cache.json`, 'my-app', 'MSALCache');
 * ```
 */
export class KeychainPersistence extends ExtensionPersistence {
  static async create(
    fileLocation: string,
    serviceName: string,
    accountName: string,
    loggerOptions?: LoggerOptions,
  ): Promise<KeychainPersistence> {
    const settings = { cachePath: fileLocation, serviceName, accountName };
    return new KeychainPersistence(await backingFor('keychain', settings, loggerOptions));
  }
}

/**
 * A secret in the Linux Secret Service, as `@azure/msal-node-extensions`' class of that name.
 * `fileLocation` is the change-signal file, and its `.lockfile` sibling the lock.
 *
 * @example
 * ```ts
 * const persistence = await LibSecretPersistence.create(`${dir}/cache.json`, 'my-app', 'MSALCache');
 * ```
 */
export class LibSecretPersistence extends ExtensionPersistence {
  static async create(
    fileLocation: string,
    serviceName: string,
    accountName: string,
    loggerOptions?: LoggerOptions,
  ): Promise<LibSecretPersistence> {
    const settings = { cachePath: fileLocation, serviceName, accountName };
    return new LibSecretPersistence(await backingFor('libsecret', settings, loggerOptions));
  }
}

/**
 * Not in `@azure/msal-node-extensions`: on Linux without a Secret Service (SSH, containers, CI),
 * `PersistenceCreator.createPersistence` returns this — an AES-256-GCM file whose key lives only
 * in the kernel keyring — where the old package failed or wrote plaintext. `fileLocation` is the
 * cache's base path: the file is `<fileLocation>.kernel-keyring`, the lock `<fileLocation>.lockfile`.
 *
 * @example
 * ```ts
 * const persistence = await KernelKeyringPersistence.create(`${dir}/cache.json`);
 * ```
 */
export class KernelKeyringPersistence extends ExtensionPersistence {
  static async create(fileLocation: string, loggerOptions?: LoggerOptions): Promise<KernelKeyringPersistence> {
    return new KernelKeyringPersistence(await backingFor('kernel-keyring', { cachePath: fileLocation }, loggerOptions));
  }
}
