import { PersistenceError } from '@msal-persist/core';
import { loadNative } from '@msal-persist/persistence-file';
import type { SecretStore, SecretStoreCallOptions } from './secret-store.js';

/** The slice of `@napi-rs/keyring` this package uses; typed here so loading it stays lazy. */
interface NativeEntry {
  setSecret(secret: Uint8Array, signal?: AbortSignal | null): Promise<void>;
  getSecret(signal?: AbortSignal | null): Promise<ArrayLike<number> | null>;
  deleteCredential(signal?: AbortSignal | null): Promise<boolean>;
}

interface NativeModule {
  AsyncEntry: new (
    service: string,
    username: string,
    options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
  ) => NativeEntry;
}

/**
 * Options for {@link NapiKeyringStore}.
 *
 * @example
 * ```ts
 * const options: NapiKeyringStoreOptions = {
 *   service: 'my-app',
 *   platforms: ['darwin'],
 *   backend: 'keychain:my-app',
 *   loadNative: () => import('@napi-rs/keyring'),
 * };
 * ```
 */
export interface NapiKeyringStoreOptions {
  /** The keyring-rs service (macOS: the generic password's service; Secret Service: the `service` attribute). */
  service: string;
  /** The backend name used in the errors this store throws itself. */
  backend: string;
  /** Platforms (`process.platform` values) this store may be used on; others get `NotAvailable`. */
  platforms: readonly NodeJS.Platform[];
  /** What to tell the user when the platform is wrong. */
  wrongPlatformHint?: string;
  /**
   * Loads `@napi-rs/keyring`: `() => import('@napi-rs/keyring')`, written in the package that
   * depends on it (the Keychain backend), so Linux installs of the shared code never carry it.
   * Tests pass a fake to simulate a missing or broken native binary.
   */
  loadNative: () => Promise<unknown>;
}

/**
 * The native {@link SecretStore}: `@napi-rs/keyring`'s `AsyncEntry`, loaded on first use. On Linux
 * it is pinned to the Secret Service, never the kernel keyring (which loses everything on reboot).
 * Secrets are stored as raw bytes (`setSecret`), so what the other MSAL extensions store as a
 * UTF-8 password reads back byte for byte.
 *
 * @example
 * ```ts
 * const store = new NapiKeyringStore({
 *   service: 'my-app',
 *   backend: 'keychain:my-app/MSALCache',
 *   platforms: ['darwin'],
 *   loadNative: () => import('@napi-rs/keyring'),
 * });
 * await store.set('MSALCache', new TextEncoder().encode('{}'));
 * ```
 */
export class NapiKeyringStore implements SecretStore {
  private readonly options: NapiKeyringStoreOptions;
  private native: Promise<NativeModule> | undefined;
  // One entry per account: each Secret Service entry owns a D-Bus connection, so reuse it.
  private readonly entries = new Map<string, NativeEntry>();

  constructor(options: NapiKeyringStoreOptions) {
    this.options = options;
  }

  async get(account: string, options: SecretStoreCallOptions = {}): Promise<Uint8Array | null> {
    const entry = await this.entry(account);
    return this.forgetOnFailure(account, async () => {
      const secret = await entry.getSecret(options.signal);
      if (secret === null || secret === undefined) return null;
      return secret instanceof Uint8Array ? secret : Uint8Array.from(secret);
    });
  }

  async set(account: string, data: Uint8Array, options: SecretStoreCallOptions = {}): Promise<void> {
    const entry = await this.entry(account);
    await this.forgetOnFailure(account, () => entry.setSecret(data, options.signal));
  }

  async delete(account: string, options: SecretStoreCallOptions = {}): Promise<boolean> {
    const entry = await this.entry(account);
    return this.forgetOnFailure(account, () => entry.deleteCredential(options.signal));
  }

  private async forgetOnFailure<T>(account: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // The entry's D-Bus session may belong to a daemon that restarted: reconnect next time.
      this.entries.delete(account);
      throw error;
    }
  }

  private async entry(account: string): Promise<NativeEntry> {
    const cached = this.entries.get(account);
    if (cached) return cached;
    const native = await this.load();
    const linux = process.platform === 'linux' ? { linux: { store: 'secret-service' as const } } : undefined;
    // Connects to the store synchronously on Linux; fails fast without a bus (measured: < 5 ms).
    const entry = new native.AsyncEntry(this.options.service, account, linux);
    this.entries.set(account, entry);
    return entry;
  }

  private load(): Promise<NativeModule> {
    if (!this.options.platforms.includes(process.platform)) {
      return Promise.reject(
        new PersistenceError(
          'NotAvailable',
          `This backend works on ${this.options.platforms.join(', ')}, not on ${process.platform}. ` +
            (this.options.wrongPlatformHint ?? 'Use the backend made for this platform.'),
          { backend: this.options.backend },
        ),
      );
    }
    this.native ??= this.importNative().catch((error: unknown) => {
      this.native = undefined;
      throw error;
    });
    return this.native;
  }

  private async importNative(): Promise<NativeModule> {
    const module = await loadNative<unknown>(this.options.loadNative, {
      module: '@napi-rs/keyring',
      backend: this.options.backend,
      purpose: 'the binding to the OS keyring',
    });
    if (typeof (module as Partial<NativeModule>).AsyncEntry !== 'function') {
      throw new PersistenceError('NotAvailable', '@napi-rs/keyring loaded without an AsyncEntry class; upgrade it.', {
        backend: this.options.backend,
      });
    }
    return module as NativeModule;
  }
}
