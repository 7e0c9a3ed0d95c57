// Structural copies of msal-node's cache plugin types, so core has no runtime dependency on
// msal-node and works with any msal-node major whose shapes match (checked by a type test).

/**
 * The part of msal's `ISerializableTokenCache` the plugin uses.
 *
 * @example
 * ```ts
 * const text = context.tokenCache.serialize();
 * ```
 */
export interface SerializableTokenCache {
  serialize(): string;
  deserialize(cache: string): void;
}

/**
 * The part of msal's `TokenCacheContext` the plugin uses.
 *
 * @example
 * ```ts
 * if (context.cacheHasChanged) await save(context.tokenCache.serialize());
 * ```
 */
export interface CacheContext {
  readonly cacheHasChanged: boolean;
  readonly tokenCache: SerializableTokenCache;
}

/**
 * Structurally msal's `ICachePlugin`: pass it as `cache: { cachePlugin }` in the msal configuration.
 *
 * @example
 * ```ts
 * const plugin: CachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export interface CachePlugin {
  beforeCacheAccess(context: CacheContext): Promise<void>;
  afterCacheAccess(context: CacheContext): Promise<void>;
}
