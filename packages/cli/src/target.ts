import { resolve } from 'node:path';
import {
  type BackendName,
  type CacheLocation,
  type CacheLocationOptions,
  cacheLocation,
  createCachePlugin,
  encryptedBackendsFor,
  isPersistenceError,
  type Lock,
  type MsalCachePlugin,
  type Persistence,
  PersistenceCachePlugin,
} from '@msal-persist/msal-plugin';
import { FileLock, FilePersistence } from '@msal-persist/msal-plugin/file';
import { CliError, oneLine } from './cli-error.js';
import { currentHost, diagnose } from './diagnose.js';
import { ExitCode } from './exit-codes.js';

/**
 * The command-line options that name an app's cache.
 *
 * @example
 * ```ts
 * const options: TargetOptions = { appName: 'my-cli' };
 * ```
 */
export interface TargetOptions {
  appName?: string;
  serviceName?: string;
  accountName?: string;
  cachePath?: string;
  backend?: string;
  lockTimeout?: number;
}

/** Which app, resolved: what `createCachePlugin` is given to place its cache. */
export interface Target {
  appName: string;
  placement: CacheLocationOptions & { appName: string };
  /** A plaintext cache file named with `--cache-path`, read as it is. */
  plaintextFile?: string;
  backend?: BackendName;
  lockTimeoutMs?: number;
}

/** An app's cache, opened for `inspect` and `clear`. */
export interface OpenCache {
  /** The app, or `null` for a file named with `--cache-path`. */
  appName: string | null;
  backend: BackendName;
  encrypted: boolean;
  location: CacheLocation;
  persistence: Persistence;
  lock: Lock;
  /** The library's plugin over that store: `clear()` is its `clear()`. */
  plugin: PersistenceCachePlugin;
}

const BACKENDS: readonly BackendName[] = [
  ...new Set([...encryptedBackendsFor('linux'), ...encryptedBackendsFor('darwin'), ...encryptedBackendsFor('win32')]),
  'file',
];

/** Checks and resolves the options; a bad one is a usage error. */
export function resolveTarget(options: TargetOptions): Target {
  const appName = options.appName ?? 'msal-persist';
  if (options.backend !== undefined && !BACKENDS.includes(options.backend as BackendName)) {
    throw new CliError(
      `Unknown backend ${JSON.stringify(options.backend)}.`,
      `Use one of ${BACKENDS.join(', ')}.`,
      ExitCode.Usage,
    );
  }
  if (options.cachePath !== undefined && options.backend !== undefined && options.backend !== 'file') {
    throw new CliError(
      '--cache-path names a plaintext cache file; it cannot be combined with --backend.',
      'Drop --backend, or use --app-name for an encrypted store.',
      ExitCode.Usage,
    );
  }
  return {
    appName,
    placement: {
      appName,
      ...(options.serviceName === undefined ? {} : { serviceName: options.serviceName }),
      ...(options.accountName === undefined ? {} : { accountName: options.accountName }),
    },
    ...(options.cachePath === undefined ? {} : { plaintextFile: resolve(options.cachePath) }),
    ...(options.backend === undefined ? {} : { backend: options.backend as BackendName }),
    ...(options.lockTimeout === undefined ? {} : { lockTimeoutMs: options.lockTimeout }),
  };
}

function plaintextCache(file: string, target: Target): OpenCache {
  const persistence = new FilePersistence(file);
  const lock = new FileLock(`${file}.lockfile`);
  const plugin = new PersistenceCachePlugin({
    persistence,
    lock,
    logger: {},
    ...(target.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: target.lockTimeoutMs }),
  });
  const location = { backend: 'file' as const, file, lock: lock.path };
  const appName = target.plaintextFile ? null : target.appName;
  return { appName, backend: 'file', encrypted: false, location, persistence, lock, plugin };
}

/**
 * Opens the cache `target` names: a plaintext file (`--cache-path`, or `--backend file`: the app's
 * plaintext fallback file), else the store `createCachePlugin` picks for the app (or the one
 * `--backend` forces), probing it as the app would — through `probeAt` when given (`inspect`
 * passes a throwaway cache path when the app's folder is missing, so it creates nothing).
 */
export async function openCache(target: Target, probeAt: Target['placement'] = target.placement): Promise<OpenCache> {
  if (target.plaintextFile) return plaintextCache(target.plaintextFile, target);
  if (target.backend === 'file') return plaintextCache(cacheLocation('file', target.placement).file, target);
  let plugin: MsalCachePlugin;
  try {
    plugin = await createCachePlugin({
      ...probeAt,
      ...(target.backend ? { backend: target.backend } : { allowPlaintextFallback: true }),
      ...(target.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: target.lockTimeoutMs }),
      logger: {},
    });
  } catch (error) {
    if (!isPersistenceError(error)) throw error;
    const { reason, fix } = diagnose(target.backend ?? (error.backend as BackendName), error, currentHost());
    throw new CliError(oneLine(reason), fix ?? undefined, ExitCode.StoreUnavailable, error.code);
  }
  const { persistence, lock } = plugin.selection;
  const location = cacheLocation(plugin.backend, target.placement);
  const { appName } = target;
  return { appName, backend: plugin.backend, encrypted: plugin.isEncrypted, location, persistence, lock, plugin };
}
