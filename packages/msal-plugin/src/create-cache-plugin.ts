import { checkNumberOption, PersistenceCachePlugin } from '@msal-persist/core';
import type { BackendName } from './backends.js';
import { type CreatePersistenceOptions, createPersistence, type PersistenceSelection } from './create-persistence.js';

/**
 * Options for {@link createCachePlugin}: where and how to persist, plus the plugin's own settings.
 *
 * @example
 * ```ts
 * const options: CreateCachePluginOptions = { appName: 'my-daemon', lockTimeoutMs: 5_000 };
 * ```
 */
export interface CreateCachePluginOptions extends CreatePersistenceOptions {
  /** How long a token call that writes waits for the cross-process lock, in whole milliseconds. Default: the plugin's (15 000). */
  lockTimeoutMs?: number;
  /** What a failed save does to the token call: `'throw'` (default) or `'warn'`. */
  onSaveError?: 'throw' | 'warn';
}

/**
 * A ready msal `ICachePlugin` that also says which backend it uses and whether the cache is encrypted.
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

  constructor(selection: PersistenceSelection, options: CreateCachePluginOptions = {}) {
    super({
      persistence: selection.persistence,
      lock: selection.lock,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.onSaveError ? { onSaveError: options.onSaveError } : {}),
    });
    this.selection = selection;
  }

  /** The backend in use: `dpapi`, `keychain`, `libsecret`, `kernel-keyring` or `file`. */
  get backend(): BackendName {
    return this.selection.backend;
  }

  /** True when the OS encrypts the cache at rest. */
  get isEncrypted(): boolean {
    return this.selection.isEncrypted;
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
  return new MsalCachePlugin(await createPersistence(options), options);
}
