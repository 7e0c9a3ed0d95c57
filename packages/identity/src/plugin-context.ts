import type { CachePlugin } from '@msal-persist/core';

/**
 * `@azure/identity`'s `TokenCachePersistenceOptions`, matched structurally: what a credential's
 * `tokenCachePersistenceOptions` says, and what identity hands the persistence factory.
 *
 * @example
 * ```ts
 * const options: TokenCachePersistenceOptions = { enabled: true, name: 'my-app' };
 * ```
 */
export interface TokenCachePersistenceOptions {
  /** Turns the persistent cache on for the credential. */
  enabled: boolean;
  /** The cache's name. identity passes `msal.cache.nocae` and `msal.cache.cae` when none is given. */
  name?: string;
  /** Use a plaintext file (mode 0600) when the encrypted store is not available. */
  unsafeAllowUnencryptedStorage?: boolean;
}

/**
 * A function that builds a cache plugin for identity; identity calls it twice per credential
 * (CAE and not) when the credential is constructed, and awaits the result at the first `getToken`.
 *
 * @example
 * ```ts
 * const factory: PersistenceFactory = async (options) => createPlugin(options);
 * ```
 */
export type PersistenceFactory = (options?: TokenCachePersistenceOptions) => Promise<CachePlugin>;

/**
 * An `@azure/identity` plugin: `useIdentityPlugin(plugin)` calls it with identity's plugin context.
 *
 * @example
 * ```ts
 * useIdentityPlugin(cachePersistencePlugin);
 * ```
 */
export type IdentityPlugin = (context: unknown) => void;

/** The part of identity's plugin context we use; identity types the context as `unknown`. */
interface CachePluginControl {
  setPersistence(factory: PersistenceFactory): void;
}

/**
 * identity's `cachePluginControl`, checked: an identity whose plugin context lacks it (a future
 * major that changed the plugin API) gets a `TypeError` that says so, at `useIdentityPlugin`.
 *
 * @example
 * ```ts
 * cachePluginControl(context).setPersistence(factory);
 * ```
 */
export function cachePluginControl(context: unknown): CachePluginControl {
  const control = (context as { cachePluginControl?: unknown } | null | undefined)?.cachePluginControl;
  if (typeof (control as Partial<CachePluginControl> | undefined)?.setPersistence !== 'function') {
    throw new TypeError(
      'This @azure/identity did not give the plugin context @msal-persist/identity expects ' +
        '(cachePluginControl.setPersistence, as in @azure/identity 4.x). Check that @azure/identity is 4.x, ' +
        'and that cachePersistencePlugin is passed to useIdentityPlugin, not called directly.',
    );
  }
  return control as CachePluginControl;
}
