import {
  checkNumberOption,
  isPersistenceError,
  type Logger,
  type LoggerOptions,
  PersistenceCachePlugin,
  PersistenceError,
  type PreloadedCache,
  resolveLogger,
} from '@msal-persist/core';
import type { BackendName } from './backends.js';
import {
  type CreatePersistenceOptions,
  createPersistence,
  openPersistence,
  type PersistenceSelection,
} from './create-persistence.js';
import { type CacheWatcher, type WatchOptions, watchFile } from './watch-cache.js';

/**
 * Options for {@link createCachePlugin}: where and how to persist, plus the plugin's own settings.
 *
 * @example
 * ```ts
 * const options: CreateCachePluginOptions = { appName: 'my-daemon', lockTimeoutMs: 5_000 };
 * ```
 */
export interface CreateCachePluginOptions extends Omit<CreatePersistenceOptions, 'logger'> {
  /** How long a token call that writes waits for the cross-process lock, in whole milliseconds. Default: the plugin's (15 000). */
  lockTimeoutMs?: number;
  /** What a failed save does to the token call: `'throw'` (default) or `'warn'`. */
  onSaveError?: 'throw' | 'warn';
  /**
   * Where the plugin reports: a `Logger` (`{ debug?, info?, warn?, error? }`) or msal's own
   * `LoggerOptions` (`loggerCallback`, `logLevel`; debug lines at Verbose), so the object given to
   * msal's `system.loggerOptions` works here too. Default: the console, warnings and errors.
   */
  logger?: Logger | LoggerOptions;
}

/**
 * What {@link MsalCachePlugin.verify} found.
 *
 * @example
 * ```ts
 * const { ok, reason }: VerifyResult = await cachePlugin.verify();
 * ```
 */
export interface VerifyResult {
  /** The backend the plugin uses (the one probed). */
  backend: BackendName;
  /** True when the OS encrypts the cache at rest. */
  isEncrypted: boolean;
  /** True when the probe saved, read back and deleted a random value. */
  ok: boolean;
  /** Why not, with what to do, when `ok` is false. */
  reason?: string;
  /** The probe's error, when `ok` is false (`code`: `NotAvailable`, `StoreLocked`, `AccessDenied`…). */
  error?: PersistenceError;
}

/**
 * What `createCachePlugin`'s check read, for the plugin it builds on that selection (taken once).
 * Kept off the selection object itself, which apps log: it holds the token cache.
 */
const startupReads = new WeakMap<PersistenceSelection, PreloadedCache>();

/**
 * A ready msal `ICachePlugin` that also says which backend it uses and whether the cache is
 * encrypted, re-checks its store on demand ({@link MsalCachePlugin.verify}), clears it for every
 * process (`clear()`), fires `cachechanged` when the stored accounts change, and can watch the
 * cache's file for changes made by other processes ({@link MsalCachePlugin.watch}).
 *
 * @example
 * ```ts
 * const cachePlugin = await createCachePlugin({ appName: 'my-cli' });
 * console.log(cachePlugin.backend, cachePlugin.isEncrypted);
 * ```
 */
export class MsalCachePlugin extends PersistenceCachePlugin {
  /** Everything {@link createPersistence} chose, including the fallback reason. */
  readonly selection: PersistenceSelection;
  private readonly options: CreateCachePluginOptions;
  private readonly log: Logger;

  constructor(selection: PersistenceSelection, options: CreateCachePluginOptions = {}) {
    const log = resolveLogger(options.logger);
    const preloaded = startupReads.get(selection);
    startupReads.delete(selection);
    super({
      persistence: selection.persistence,
      lock: selection.lock,
      logger: log,
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.onSaveError ? { onSaveError: options.onSaveError } : {}),
      // What createCachePlugin's check read: the first access does not read the store again.
      ...(preloaded ? { preloaded } : {}),
    });
    this.selection = selection;
    this.options = options;
    this.log = log;
  }

  /** The backend in use: `dpapi`, `keychain`, `libsecret`, `kernel-keyring` or `file`. */
  get backend(): BackendName {
    return this.selection.backend;
  }

  /** True when the OS encrypts the cache at rest. */
  get isEncrypted(): boolean {
    return this.selection.isEncrypted;
  }

  /**
   * Runs the backend's probe again, as at creation (what the other MSAL extensions'
   * `verifyPersistence()` does): a random value saved, read back and deleted beside the cache.
   * Resolves with the outcome, never rejects: a keyring locked since, a removed library or a
   * folder that became read-only gives `ok: false` and the reason.
   *
   * @example
   * ```ts
   * const { ok, reason } = await cachePlugin.verify();
   * if (!ok) console.error(`token cache unusable: ${reason}`);
   * ```
   */
  async verify(): Promise<VerifyResult> {
    const { backend, isEncrypted } = this;
    const { lockTimeoutMs: _timeout, onSaveError: _onSaveError, ...placement } = this.options;
    try {
      await createPersistence({ ...placement, backend, allowPlaintextFallback: false, logger: {} });
      if (this.log.debug) this.log.debug(`verify: the ${backend} backend passed its probe.`);
      return { backend, isEncrypted, ok: true };
    } catch (caught) {
      const error = isPersistenceError(caught)
        ? caught
        : new PersistenceError('Io', 'The probe failed; see the cause.', { backend, cause: caught });
      const reason = error.message.replace(`[${error.backend}] `, '');
      if (this.log.debug) this.log.debug(`verify: the ${backend} backend failed its probe: ${reason}`);
      return { backend, isEncrypted, ok: false, reason, error };
    }
  }

  /**
   * Watches the cache's file (the change signal for Keychain and Secret Service) with `fs.watch`
   * and runs `checkForChanges()` at once and after every change, so `cachechanged` fires when
   * another process signs in or out without this app calling msal. The first check reports the
   * accounts already stored as added when nothing was reported before. Failures are logged as
   * warnings. `close()` the watcher (or abort `signal`) to stop.
   *
   * @example
   * ```ts
   * cachePlugin.on('cachechanged', (event) => renderAccounts(event.accounts));
   * const watcher = cachePlugin.watch();
   * // later: watcher.close();
   * ```
   */
  watch(options: WatchOptions = {}): CacheWatcher {
    const check = async () => {
      try {
        await this.checkForChanges();
      } catch (error) {
        this.log.warn?.(`watch: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const failed = (error: unknown) =>
      this.log.warn?.(
        `watch: stopped watching ${this.selection.cachePath} (${error instanceof Error ? error.message : String(error)}).`,
      );
    return watchFile(this.selection.cachePath, check, failed, options);
  }
}

/**
 * The five-line experience: picks and verifies the OS backend and returns a ready msal cache plugin.
 *
 * @example
 * ```ts
 * import { PublicClientApplication } from '@azure/msal-node';
 * import { createCachePlugin } from '@msal-persist/msal-plugin';
 *
 * const cachePlugin = await createCachePlugin({ appName: 'my-cli' });
 * const app = new PublicClientApplication({ auth: { clientId: '…' }, cache: { cachePlugin } });
 * ```
 */
export async function createCachePlugin(options: CreateCachePluginOptions = {}): Promise<MsalCachePlugin> {
  // The plugin's own options are checked before createPersistence probes anything.
  if (options.lockTimeoutMs !== undefined) {
    checkNumberOption('lockTimeoutMs', options.lockTimeoutMs, 0, { min: 0, max: 2_147_483_647 });
  }
  if (options.onSaveError !== undefined && options.onSaveError !== 'throw' && options.onSaveError !== 'warn') {
    throw new TypeError(`onSaveError must be 'throw' or 'warn', got ${JSON.stringify(options.onSaveError)}.`);
  }
  const logger = resolveLogger(options.logger);
  const started = performance.now();
  const { selection, preloaded } = await openPersistence({ ...options, logger });
  if (logger.debug) {
    const ms = (performance.now() - started).toFixed(1);
    const kind = selection.isEncrypted ? 'encrypted' : 'PLAINTEXT';
    logger.debug(
      `using the ${selection.backend} backend (${kind}, ${selection.cachePath}), chosen and probed in ${ms} ms.`,
    );
  }
  if (preloaded) startupReads.set(selection, preloaded);
  return new MsalCachePlugin(selection, { ...options, logger });
}
