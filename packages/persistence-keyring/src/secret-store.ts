/**
 * Options for one {@link SecretStore} call.
 *
 * @example
 * ```ts
 * await store.get('msal-cache', { signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface SecretStoreCallOptions {
  /** Aborted when the caller stopped waiting (a timeout); the store should give up if it still can. */
  signal?: AbortSignal;
}

/**
 * The seam between {@link KeyringPersistence} and an OS secret store: one secret per account
 * within the service the store was made for. The native implementation is
 * {@link NapiKeyringStore}; tests inject {@link MemorySecretStore}. Errors are thrown as the
 * store reports them (for `@napi-rs/keyring`, an `Error` with keyring-rs's message); the OS
 * package maps them to `PersistenceError` codes.
 *
 * @example
 * ```ts
 * const store: SecretStore = new MemorySecretStore();
 * await store.set('MSALCache', new TextEncoder().encode('{}'));
 * ```
 */
export interface SecretStore {
  /** The secret's bytes, or `null` when the account has no secret. */
  get(account: string, options?: SecretStoreCallOptions): Promise<Uint8Array | null>;
  /** Creates or replaces the account's secret in one store operation. */
  set(account: string, data: Uint8Array, options?: SecretStoreCallOptions): Promise<void>;
  /** Removes the account's secret; resolves `false` when there was none. */
  delete(account: string, options?: SecretStoreCallOptions): Promise<boolean>;
}
