import { type Lock, type Logger, type Persistence, PersistenceError } from '@msal-persist/core';

/**
 * The backends the meta package can choose.
 *
 * @example
 * ```ts
 * const name: BackendName = 'kernel-keyring';
 * ```
 */
export type BackendName = 'dpapi' | 'keychain' | 'libsecret' | 'kernel-keyring' | 'file';

/** Every {@link BackendName}, in the order messages list them. */
export const BACKEND_NAMES: readonly BackendName[] = ['dpapi', 'keychain', 'libsecret', 'kernel-keyring', 'file'];

/** Resolved settings every backend loader receives. */
export interface BackendSettings {
  cachePath: string;
  serviceName: string;
  accountName: string;
  dataProtectionScope: 'CurrentUser' | 'LocalMachine';
  entropy?: Uint8Array | string;
  /** Passed to `FileLock` when set; otherwise its default applies. */
  lockStaleMs?: number;
  /** Build a throwaway probe location with this suffix instead of the real one. */
  probe?: string;
  /** Where the cache file's own warnings go (a folder others may write); its default is the console. */
  logger?: Logger;
}

/**
 * Where the plaintext fallback keeps the cache: its own file, never the encrypted backend's
 * (the DPAPI blob, or the Keychain / Secret Service signal file at `cachePath`). Processes that
 * disagree about the backend, one falling back while another has the keyring, then never read
 * each other's format as corrupt, and the plaintext copy is easy to find and remove.
 *
 * @example
 * ```ts
 * plaintextFallbackPath('/home/me/.cache/app/msal.cache'); // '/home/me/.cache/app/msal.cache.plaintext.json'
 * ```
 */
export function plaintextFallbackPath(cachePath: string): string {
  return `${cachePath}.plaintext.json`;
}

/**
 * Where the kernel-keyring backend keeps its encrypted file: its own file, for the same reason as
 * {@link plaintextFallbackPath} (on one machine a desktop session may use the Secret Service, whose
 * signal file is `cachePath`, while an SSH session uses the kernel keyring).
 *
 * @example
 * ```ts
 * kernelKeyringPath('/home/me/.cache/app/msal.cache'); // '/home/me/.cache/app/msal.cache.kernel-keyring'
 * ```
 */
export function kernelKeyringPath(cachePath: string): string {
  return `${cachePath}.kernel-keyring`;
}

/**
 * The encrypted backends for an OS, in the order they are tried: on Linux the Secret Service,
 * then the kernel keyring (SSH sessions, WSL, containers, CI have no Secret Service). Empty where
 * there is none.
 *
 * @example
 * ```ts
 * encryptedBackendsFor('linux'); // ['libsecret', 'kernel-keyring']
 * ```
 */
export function encryptedBackendsFor(platform: NodeJS.Platform): BackendName[] {
  if (platform === 'win32') return ['dpapi'];
  if (platform === 'darwin') return ['keychain'];
  if (platform === 'linux') return ['libsecret', 'kernel-keyring'];
  return [];
}

/**
 * The preferred encrypted backend for an OS, or `undefined` where there is none.
 *
 * @example
 * ```ts
 * backendFor('darwin'); // 'keychain'
 * ```
 */
export function backendFor(platform: NodeJS.Platform): BackendName | undefined {
  return encryptedBackendsFor(platform)[0];
}

/**
 * The file a backend really stores in: the DPAPI, kernel-keyring or plaintext file, or, for
 * Keychain and Secret Service, the change-signal file beside the secret.
 *
 * @example
 * ```ts
 * storagePath('kernel-keyring', '/home/me/.cache/app/msal.cache'); // '/home/me/.cache/app/msal.cache.kernel-keyring'
 * ```
 */
export function storagePath(backend: BackendName, cachePath: string, options: { fallback?: boolean } = {}): string {
  if (backend === 'kernel-keyring') return kernelKeyringPath(cachePath);
  if (backend === 'file' && options.fallback) return plaintextFallbackPath(cachePath);
  return cachePath;
}

/** Where a probe writes: beside the cache, never over it, and unique so concurrent starts don't collide. */
export function probeSuffix(): string {
  return `.probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Where npm installs each OS backend (its package's `os` field). */
const INSTALLED_ON: Record<Exclude<BackendName, 'file'>, string> = {
  dpapi: 'Windows',
  keychain: 'macOS',
  libsecret: 'Linux',
  'kernel-keyring': 'Linux',
};

/**
 * Turns "the package is not there" into a typed error saying which package and where npm installs
 * it. The OS backends are optional dependencies with an `os` field, so on Linux DPAPI and Keychain
 * are simply absent. Used as `import(name).catch(notInstalled(…))`: bundlers accept that form when
 * the package is missing at build time and leave the import for run time.
 */
export function notInstalled(backend: Exclude<BackendName, 'file'>, name: string): (error: unknown) => never {
  return (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(error).includes(`'${name}'`);
    if (!missing) throw error;
    throw new PersistenceError(
      'NotAvailable',
      `${name} is not installed: npm installs it with @msal-persist/msal-plugin on ${INSTALLED_ON[backend]} only. ` +
        `There, reinstall without --omit=optional, or add it yourself: npm install ${name}.`,
      { backend, cause: error },
    );
  };
}

/**
 * Imports only the chosen backend's package (so on Linux the DPAPI and Keychain code is never
 * loaded) and builds its persistence plus the `FileLock` every OS backend shares. The lock lives at
 * `<cache>.lockfile` like the other MSAL extensions', so their writers exclude ours.
 */
export async function loadBackend(
  backend: BackendName,
  settings: BackendSettings,
  options: { fallback?: boolean } = {},
): Promise<{ persistence: Persistence; lock: Lock }> {
  const path = `${settings.cachePath}${settings.probe ?? ''}`;
  const account = `${settings.accountName}${settings.probe ?? ''}`;
  const { FileLock, FilePersistence } = await import('@msal-persist/persistence-file');
  const fileLogger = settings.logger === undefined ? {} : { logger: settings.logger };
  const lock = new FileLock(
    `${settings.cachePath}.lockfile`,
    settings.lockStaleMs === undefined ? {} : { staleMs: settings.lockStaleMs },
  );
  switch (backend) {
    case 'dpapi': {
      const { DpapiPersistence } = await import('@msal-persist/persistence-dpapi').catch(
        notInstalled('dpapi', '@msal-persist/persistence-dpapi'),
      );
      const entropy = settings.entropy;
      return {
        persistence: new DpapiPersistence(path, {
          scope: settings.dataProtectionScope,
          ...(entropy === undefined ? {} : { entropy }),
        }),
        lock,
      };
    }
    case 'keychain': {
      const { KeychainPersistence } = await import('@msal-persist/persistence-keychain').catch(
        notInstalled('keychain', '@msal-persist/persistence-keychain'),
      );
      return {
        persistence: new KeychainPersistence({ signalPath: path, service: settings.serviceName, account }),
        lock,
      };
    }
    case 'libsecret': {
      const { LibsecretPersistence } = await import('@msal-persist/persistence-libsecret').catch(
        notInstalled('libsecret', '@msal-persist/persistence-libsecret'),
      );
      return {
        persistence: new LibsecretPersistence({ signalPath: path, service: settings.serviceName, account }),
        lock,
      };
    }
    case 'kernel-keyring': {
      const { KernelKeyringPersistence } = await import('@msal-persist/persistence-kernel-keyring').catch(
        notInstalled('kernel-keyring', '@msal-persist/persistence-kernel-keyring'),
      );
      return { persistence: new KernelKeyringPersistence(storagePath(backend, path), fileLogger), lock };
    }
    case 'file':
      return { persistence: new FilePersistence(storagePath(backend, path, options), fileLogger), lock };
  }
}
