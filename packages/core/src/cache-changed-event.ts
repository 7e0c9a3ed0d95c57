/**
 * The type of {@link CacheChangedEvent}: `plugin.addEventListener('cachechanged', …)`.
 *
 * @example
 * ```ts
 * plugin.addEventListener(CACHE_CHANGED, (event) => refreshAccountList());
 * ```
 */
export const CACHE_CHANGED = 'cachechanged';

/**
 * What made the plugin see the change: a `load` of what another process wrote, a `save` of this
 * process, or a `clear`.
 *
 * @example
 * ```ts
 * const seenBy: CacheChangeSource = 'load';
 * ```
 */
export type CacheChangeSource = 'load' | 'save' | 'clear';

/**
 * Fired by `PersistenceCachePlugin` when the set of accounts in the stored cache changed, like
 * MSAL.NET's `CacheChanged`: home account ids (`account.homeAccountId`) added and removed since
 * the last event. The plugin sees the store when msal accesses the cache (any token call,
 * `getAllAccounts`…), on `checkForChanges()`, and while `watch()` runs (msal-plugin).
 *
 * @example
 * ```ts
 * plugin.addEventListener('cachechanged', (event) => {
 *   for (const id of event.accountsRemoved) console.log(`signed out elsewhere: ${id}`);
 * });
 * ```
 */
export class CacheChangedEvent extends Event {
  /** Home account ids stored now that were not at the previous event. */
  readonly accountsAdded: readonly string[];
  /** Home account ids stored at the previous event that are gone now. */
  readonly accountsRemoved: readonly string[];
  /** Every home account id stored now. */
  readonly accounts: readonly string[];
  /** What made the plugin see the change. */
  readonly source: CacheChangeSource;

  constructor(change: {
    accountsAdded: readonly string[];
    accountsRemoved: readonly string[];
    accounts: readonly string[];
    source: CacheChangeSource;
  }) {
    super(CACHE_CHANGED);
    this.accountsAdded = change.accountsAdded;
    this.accountsRemoved = change.accountsRemoved;
    this.accounts = change.accounts;
    this.source = change.source;
  }
}
