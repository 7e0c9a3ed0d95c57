import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  consoleLogger,
  isPersistenceError,
  type Lock,
  type Logger,
  type Persistence,
  PersistenceError,
} from '@msal-persist/core';
import {
  type BackendName,
  type BackendSettings,
  backendFor,
  loadBackend,
  plaintextFallbackPath,
  probeSuffix,
} from './backends.js';
import { defaultCacheDirectory } from './default-paths.js';

/**
 * Options for {@link createPersistence} and `createCachePlugin`.
 *
 * @example
 * ```ts
 * const options: CreatePersistenceOptions = { appName: 'my-cli', allowPlaintextFallback: true };
 * ```
 */
export interface CreatePersistenceOptions {
  /** Names the default cache directory and the default keychain / Secret Service service. Default `msal-persist`. */
  appName?: string;
  /** The cache file (DPAPI, plaintext); its directory also holds the lock and change-signal files. Default: `<per-user cache dir>/<appName>/msal.cache`. */
  cachePath?: string;
  /** Keychain / Secret Service service name. Default: `appName`. */
  serviceName?: string;
  /** Keychain / Secret Service account name. Default `MSALCache` (as the other MSAL extensions). */
  accountName?: string;
  /** DPAPI scope. Default `CurrentUser`. */
  dataProtectionScope?: 'CurrentUser' | 'LocalMachine';
  /** DPAPI optional entropy (an extra secret mixed into the encryption). */
  entropy?: Uint8Array | string;
  /** Use a plaintext file (mode 0600) when the OS store is missing or fails its probe. Default `false`. */
  allowPlaintextFallback?: boolean;
  /** Force a backend instead of the one for this OS. */
  backend?: BackendName;
  /** Lock tuning: a lock not refreshed for `lockStaleMs` is broken (a dead owner is detected at once). Default 30 000. */
  lockStaleMs?: number;
  /** Receives the fallback warning. Default: the console. */
  logger?: Logger;
}

/**
 * What {@link createPersistence} chose and verified.
 *
 * @example
 * ```ts
 * const { persistence, lock, backend, isEncrypted } = await createPersistence({ appName: 'my-cli' });
 * ```
 */
export interface PersistenceSelection {
  persistence: Persistence;
  lock: Lock;
  /** The backend in use. */
  backend: BackendName;
  /** True when the cache is encrypted at rest by the OS. */
  isEncrypted: boolean;
  /** The cache file (DPAPI, plaintext fallback `<cachePath>.plaintext.json`), or the Keychain / Secret Service change-signal file. */
  cachePath: string;
  /** Why the OS store was not used, when the plaintext fallback was taken. */
  fallbackReason?: PersistenceError;
}

function settingsFrom(options: CreatePersistenceOptions): BackendSettings {
  const appName = options.appName ?? 'msal-persist';
  if (options.cachePath === '') throw new TypeError('cachePath must be a file path, got an empty string');
  const cachePath = options.cachePath ?? join(defaultCacheDirectory(appName), 'msal.cache');
  return {
    cachePath,
    serviceName: options.serviceName ?? appName,
    accountName: options.accountName ?? 'MSALCache',
    dataProtectionScope: options.dataProtectionScope ?? 'CurrentUser',
    ...(options.entropy === undefined ? {} : { entropy: options.entropy }),
    lockStaleMs: options.lockStaleMs ?? 30_000,
  };
}

/** Save, load, compare and delete a random value in a probe location of the same backend. */
async function probe(backend: BackendName, settings: BackendSettings, fallback = false): Promise<void> {
  const suffix = probeSuffix();
  const { persistence } = await loadBackend(backend, { ...settings, probe: suffix }, { fallback });
  const value = randomBytes(32);
  let back: Uint8Array | null;
  try {
    await persistence.save(value);
    back = await persistence.load();
  } finally {
    await persistence.delete().catch(() => undefined);
    // Keychain and Secret Service probes leave their change-signal file there.
    await rm(`${settings.cachePath}${suffix}`, { force: true }).catch(() => undefined);
  }
  if (!back || Buffer.compare(Buffer.from(back), value) !== 0) {
    throw new PersistenceError('Io', 'The probe read back different bytes than it wrote.', {
      backend: persistence.name,
    });
  }
}

function asPersistenceError(error: unknown, backend: BackendName): PersistenceError {
  if (isPersistenceError(error)) return error;
  return new PersistenceError('NotAvailable', `The ${backend} backend failed its probe; see the cause.`, {
    backend,
    cause: error,
  });
}

/**
 * Picks the encrypted backend for this OS (DPAPI on Windows, Keychain on macOS, Secret Service on
 * Linux), proves it works with a save/load/delete probe, and falls back to a plaintext file only
 * when `allowPlaintextFallback` is set. Loads only the backend it uses.
 *
 * @example
 * ```ts
 * const selection = await createPersistence({ appName: 'my-cli', allowPlaintextFallback: true });
 * if (!selection.isEncrypted) console.warn('token cache is not encrypted');
 * ```
 */
export async function createPersistence(options: CreatePersistenceOptions = {}): Promise<PersistenceSelection> {
  const settings = settingsFrom(options);
  const logger = options.logger ?? consoleLogger;
  const wanted = options.backend ?? backendFor(process.platform);

  let failure: PersistenceError;
  if (wanted === undefined) {
    failure = new PersistenceError(
      'NotAvailable',
      `No encrypted token cache backend exists for ${process.platform}. Pass allowPlaintextFallback: true to use a plaintext file.`,
      { backend: 'msal-plugin' },
    );
  } else {
    try {
      await probe(wanted, settings);
      const { persistence, lock } = await loadBackend(wanted, settings);
      return {
        persistence,
        lock,
        backend: wanted,
        isEncrypted: persistence.isEncrypted,
        cachePath: settings.cachePath,
      };
    } catch (error) {
      failure = asPersistenceError(error, wanted);
    }
  }

  // The wrapped error gets its own "[backend] " prefix; don't repeat the cause's.
  const reason = failure.message.replace(`[${failure.backend}] `, '');
  if (!options.allowPlaintextFallback || wanted === 'file') {
    throw new PersistenceError(
      failure.code,
      `${reason}${wanted === 'file' ? '' : ` ${remedy(wanted)} Or pass allowPlaintextFallback: true to accept an unencrypted cache.`}`,
      { backend: failure.backend, cause: failure },
    );
  }
  logger.warn?.(
    `the encrypted token cache is not available (${failure.backend}: ${reason}); using the PLAINTEXT file ${plaintextFallbackPath(settings.cachePath)} (mode 0600) because allowPlaintextFallback is set.`,
  );
  await probe('file', settings, true);
  const { persistence, lock } = await loadBackend('file', settings, { fallback: true });
  return {
    persistence,
    lock,
    backend: 'file',
    isEncrypted: false,
    cachePath: plaintextFallbackPath(settings.cachePath),
    fallbackReason: failure,
  };
}

function remedy(backend: BackendName | undefined): string {
  switch (backend) {
    case 'libsecret':
      return 'On Linux the cache needs a running Secret Service on the session D-Bus: install and unlock one (e.g. `apt-get install gnome-keyring`, or KWallet), and run inside a desktop or `dbus-run-session` session.';
    case 'keychain':
      return 'On macOS the cache needs an unlocked login keychain: unlock it, or allow this app access when asked.';
    case 'dpapi':
      return 'On Windows the cache needs DPAPI (crypt32.dll) for the current user; check that the user profile is loaded.';
    default:
      return '';
  }
}
