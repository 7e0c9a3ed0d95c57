import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkNumberOption,
  consoleLogger,
  isPersistenceError,
  type Lock,
  type Logger,
  type Persistence,
  PersistenceError,
  type PreloadedCache,
} from '@msal-persist/core';
import { clearedMarkerPath } from '@msal-persist/persistence-file';
import {
  BACKEND_NAMES,
  type BackendName,
  type BackendSettings,
  encryptedBackendsFor,
  loadBackend,
  probeSuffix,
  storagePath,
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
  /** Use a plaintext file (mode 0600) when no encrypted store works here. Default `false`. */
  allowPlaintextFallback?: boolean;
  /** Force one backend instead of trying this OS's encrypted ones in order. */
  backend?: BackendName;
  /** Lock tuning, whole milliseconds from 100: a lock not refreshed this long is broken (a dead owner on this host is detected at once). Default: `FileLock`'s. */
  lockStaleMs?: number;
  /** Receives the fallback messages (each once per process). Default: the console. */
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
  /**
   * The file really used: the DPAPI file, the kernel-keyring file `<cachePath>.kernel-keyring`, the
   * plaintext fallback `<cachePath>.plaintext.json`, or the Keychain / Secret Service change-signal file.
   */
  cachePath: string;
  /** Why the preferred backend was not used, when another encrypted backend or the plaintext fallback was taken. */
  fallbackReason?: PersistenceError;
}

/** setTimeout's longest delay; also the longest sensible lock interval. */
const MAX_MS = 2_147_483_647;

function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new TypeError(`${name} must be a non-empty string without NUL characters, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined || choices.includes(value as T)) return value as T | undefined;
  const valid = choices.map((choice) => `'${choice}'`).join(', ');
  throw new TypeError(`${name} must be one of ${valid}; got ${JSON.stringify(value)}.`);
}

/**
 * Validates every option and resolves the backend settings. A bad option is a programming error:
 * a `TypeError` (or `RangeError`) naming it, before anything is probed, written or logged.
 */
function settingsFrom(options: CreatePersistenceOptions): BackendSettings {
  checkChoice('backend', options.backend, BACKEND_NAMES);
  const scope = checkChoice('dataProtectionScope', options.dataProtectionScope, [
    'CurrentUser',
    'LocalMachine',
  ] as const);
  const appName = options.appName ?? 'msal-persist';
  // Validates appName even when cachePath is given: it still names the Secret Service item.
  const defaultDirectory = defaultCacheDirectory(appName);
  if (
    options.cachePath !== undefined &&
    (typeof options.cachePath !== 'string' || options.cachePath === '' || options.cachePath.includes('\0'))
  ) {
    throw new TypeError(
      `cachePath must be a file path without NUL characters, got ${JSON.stringify(options.cachePath)}.`,
    );
  }
  return {
    cachePath: options.cachePath ?? join(defaultDirectory, 'msal.cache'),
    serviceName: checkText('serviceName', options.serviceName ?? appName),
    accountName: checkText('accountName', options.accountName ?? 'MSALCache'),
    dataProtectionScope: scope ?? 'CurrentUser',
    ...(options.entropy === undefined ? {} : { entropy: options.entropy }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.lockStaleMs === undefined
      ? {}
      : { lockStaleMs: checkNumberOption('lockStaleMs', options.lockStaleMs, 0, { min: 1_000, max: MAX_MS }) }),
  };
}

/**
 * The cause of a failed probe as the user should see it: the plain backend name, and no trace of
 * the probe's own item or file (its random suffix). The error the probe's persistence threw
 * names that item, so its own cause is kept instead (the library's error, the errno).
 */
function probeFailure(error: unknown, backend: BackendName, suffix: string): PersistenceError {
  const typed = isPersistenceError(error)
    ? error
    : new PersistenceError('NotAvailable', `The ${backend} backend failed its probe; see the cause.`, {
        backend,
        cause: error,
      });
  const unprefixed = typed.message.replace(`[${typed.backend}] `, '');
  const message = suffix ? unprefixed.replaceAll(suffix, '') : unprefixed;
  return new PersistenceError(typed.code, message, { backend, cause: typed.cause ?? typed });
}

/** Save, load, compare and delete a random value in a probe location of the same backend. */
async function probe(backend: BackendName, settings: BackendSettings, fallback = false): Promise<void> {
  const suffix = probeSuffix();
  try {
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
      // File-based probes (DPAPI, kernel keyring, plaintext) leave the `.cleared` marker of their delete.
      const probeFile = storagePath(backend, `${settings.cachePath}${suffix}`, { fallback });
      await rm(clearedMarkerPath(probeFile), { force: true }).catch(() => undefined);
    }
    if (!back || Buffer.compare(Buffer.from(back), value) !== 0) {
      throw new PersistenceError('Io', 'The probe read back different bytes than it wrote.', { backend });
    }
  } catch (error) {
    throw probeFailure(error, backend, suffix);
  }
}

/**
 * Opens a backend at the app's real location and proves it works. A cache that is there and loads
 * proves the store already (the OS decrypted it, the Secret Service answered): it is used as it is,
 * and nothing is written at start, so a cache the user may only read (a read-only mount, a CI
 * secret file) opens, and a save that cannot be written fails on that save. Only when there is
 * nothing to load, or the load fails, does the save/load/delete probe decide, with its typed error.
 */
async function openVerified(
  backend: BackendName,
  settings: BackendSettings,
  fallback = false,
): Promise<{ persistence: Persistence; lock: Lock; preloaded?: PreloadedCache }> {
  let loadFailure: unknown;
  try {
    const opened = await loadBackend(backend, settings, { fallback });
    // Stamped before the read: the plugin's first access reuses these bytes only if nothing moved since.
    const stamp = await opened.persistence.stamp();
    const existing = await opened.persistence.load();
    if (existing && existing.byteLength > 0) return { ...opened, preloaded: { stamp, data: existing } };
  } catch (error) {
    loadFailure = error;
  }
  // A store that did not answer in time would keep the probe waiting as long again.
  if (isPersistenceError(loadFailure, 'Timeout')) throw probeFailure(loadFailure, backend, '');
  await probe(backend, settings, fallback);
  return loadBackend(backend, settings, { fallback });
}

/** The first sentence of an error's message: the cause in one clause, for a one-line log. */
function clause(error: PersistenceError): string {
  const message = error.message.replace(`[${error.backend}] `, '');
  const end = message.search(/\.(\s|$)/);
  return end < 0 ? message : message.slice(0, end);
}

const LOGGED = Symbol.for('msal-persist.fallback-logged');

/** The messages already logged by any copy of this module in this process (ESM and CJS builds). */
function loggedMessages(): Set<string> {
  const registry = globalThis as { [LOGGED]?: Set<string> };
  registry[LOGGED] ??= new Set<string>();
  return registry[LOGGED];
}

/** Logs a fallback message once per process (across module copies), however often a plugin is created. */
function logOnce(logger: Logger, level: 'info' | 'warn', message: string): void {
  const logged = loggedMessages();
  if (logged.has(message)) return;
  logged.add(message);
  logger[level]?.(message);
}

interface Failure {
  backend: BackendName;
  error: PersistenceError;
}

const summary = (failures: Failure[]) =>
  failures.map(({ backend, error }) => `${backend}: ${clause(error)}`).join('; ');

/**
 * Picks the encrypted backend for this OS and proves it works (the existing cache loads, else a
 * save/load/delete probe beside it):
 * DPAPI on Windows, Keychain on macOS, and on Linux the Secret Service, else the kernel keyring.
 * Falls back to a plaintext file only when `allowPlaintextFallback` is set. Loads only the
 * backends it tries.
 *
 * @example
 * ```ts
 * const selection = await createPersistence({ appName: 'my-cli', allowPlaintextFallback: true });
 * if (!selection.isEncrypted) console.warn('token cache is not encrypted');
 * ```
 */
export async function createPersistence(options: CreatePersistenceOptions = {}): Promise<PersistenceSelection> {
  return (await openPersistence(options)).selection;
}

/**
 * {@link createPersistence}, and what its check read from the store (with the stamp taken before),
 * for `createCachePlugin` to start the plugin from.
 */
export async function openPersistence(
  options: CreatePersistenceOptions,
): Promise<{ selection: PersistenceSelection; preloaded?: PreloadedCache }> {
  const settings = settingsFrom(options);
  const logger = options.logger ?? consoleLogger;
  const candidates = options.backend ? [options.backend] : encryptedBackendsFor(process.platform);

  const failures: Failure[] = [];
  for (const backend of candidates) {
    let opened: Awaited<ReturnType<typeof openVerified>>;
    try {
      opened = await openVerified(backend, settings);
    } catch (error) {
      failures.push({ backend, error: error as PersistenceError });
      continue;
    }
    const { persistence, lock, preloaded } = opened;
    const cachePath = storagePath(backend, settings.cachePath);
    const [first] = failures;
    if (first) {
      // Expected where no Secret Service runs (SSH, containers): say it quietly. A store that is
      // there but refused (locked, frozen) deserves a warning.
      const quiet = failures.every(({ error }) => error.code === 'NotAvailable');
      logOnce(
        logger,
        quiet ? 'info' : 'warn',
        `using the ${backend} backend (encrypted, ${cachePath}) because ${summary(failures)}.`,
      );
    }
    const selection: PersistenceSelection = {
      persistence,
      lock,
      backend,
      isEncrypted: persistence.isEncrypted,
      cachePath,
      ...(first ? { fallbackReason: first.error } : {}),
    };
    return { selection, ...(preloaded ? { preloaded } : {}) };
  }

  const [first] = failures;
  const failure =
    first?.error ??
    new PersistenceError(
      'NotAvailable',
      `No encrypted token cache backend exists for ${process.platform}. Pass allowPlaintextFallback: true to use a plaintext file.`,
      { backend: 'msal-plugin' },
    );
  const forcedFile = options.backend === 'file';
  if (!options.allowPlaintextFallback || forcedFile) {
    const reason =
      failures.length > 1 ? `No encrypted token cache works here (${summary(failures)}).` : clauseless(failure);
    // A backend npm did not install needs installing, not the OS store's remedy.
    const missing = failures.length === 1 && failure.message.includes(' is not installed');
    const advice = forcedFile
      ? ''
      : `${missing ? '' : ` ${remedy(first?.backend)}`} Or pass allowPlaintextFallback: true to accept an unencrypted cache.`;
    throw new PersistenceError(failure.code, `${reason}${advice}`, {
      backend: first?.backend ?? failure.backend,
      cause:
        failures.length > 1
          ? new AggregateError(
              failures.map(({ error }) => error),
              'every encrypted backend failed',
            )
          : failure,
    });
  }
  const fallbackPath = storagePath('file', settings.cachePath, { fallback: true });
  logOnce(
    logger,
    'warn',
    `the encrypted token cache is not available (${first ? summary(failures) : clause(failure)}); using the PLAINTEXT file ${fallbackPath} (mode 0600) because allowPlaintextFallback is set.`,
  );
  const { persistence, lock, preloaded } = await openVerified('file', settings, true);
  const selection: PersistenceSelection = {
    persistence,
    lock,
    backend: 'file',
    isEncrypted: false,
    cachePath: fallbackPath,
    fallbackReason: failure,
  };
  return { selection, ...(preloaded ? { preloaded } : {}) };
}

/** A failure's whole message without its `[backend] ` prefix (the thrown error adds its own). */
function clauseless(error: PersistenceError): string {
  return error.message.replace(`[${error.backend}] `, '');
}

function remedy(backend: BackendName | undefined): string {
  switch (backend) {
    case 'libsecret':
    case 'kernel-keyring':
      return 'On Linux the cache needs a Secret Service on the session D-Bus (a desktop session, or `dbus-run-session` with gnome-keyring unlocked), or a kernel that allows the keyring syscalls (containers: a seccomp profile allowing add_key and keyctl).';
    case 'keychain':
      return 'On macOS the cache needs an unlocked login keychain: unlock it, or allow this app access when asked.';
    case 'dpapi':
      return 'On Windows the cache needs DPAPI (crypt32.dll) for the current user; check that the user profile is loaded.';
    default:
      return '';
  }
}
