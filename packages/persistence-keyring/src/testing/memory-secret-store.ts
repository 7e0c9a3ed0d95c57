import type { SecretStore, SecretStoreCallOptions } from '../secret-store.js';

/** The operations of a {@link SecretStore}, for {@link MemorySecretStore.failNext}. */
export type SecretStoreOperation = 'get' | 'set' | 'delete';

/**
 * Makes an `Error` shaped like what `@napi-rs/keyring` rejects with: keyring-rs's message and
 * `code: 'GenericFailure'`.
 *
 * @example
 * ```ts
 * store.failNext('get', keyringError('Platform failure: User interaction is not allowed.'));
 * ```
 */
export function keyringError(message: string): Error {
  return Object.assign(new Error(message), { code: 'GenericFailure' });
}

/**
 * An in-memory {@link SecretStore} for tests: share one instance between persistences to act as
 * one keychain, and make its next calls fail or hang the way a native store does.
 *
 * @example
 * ```ts
 * const store = new MemorySecretStore();
 * store.failNext('set', keyringError("Couldn't access platform storage: Secret Service: object locked"));
 * ```
 */
export class MemorySecretStore implements SecretStore {
  /** Every stored secret by account. */
  readonly secrets = new Map<string, Uint8Array>();
  private readonly failures: Array<{ operation: SecretStoreOperation; error: unknown }> = [];
  private hanging: SecretStoreOperation | undefined;

  /** The next call of `operation` rejects with `error` (queued: call again for more). */
  failNext(operation: SecretStoreOperation, error: unknown): void {
    this.failures.push({ operation, error });
  }

  /** Every later call of `operation` never settles unless aborted, as a store stuck on a prompt; `undefined` ends it. */
  hang(operation: SecretStoreOperation | undefined): void {
    this.hanging = operation;
  }

  async get(account: string, options: SecretStoreCallOptions = {}): Promise<Uint8Array | null> {
    await this.enter('get', options);
    return this.secrets.get(account)?.slice() ?? null;
  }

  async set(account: string, data: Uint8Array, options: SecretStoreCallOptions = {}): Promise<void> {
    await this.enter('set', options);
    this.secrets.set(account, data.slice());
  }

  async delete(account: string, options: SecretStoreCallOptions = {}): Promise<boolean> {
    await this.enter('delete', options);
    return this.secrets.delete(account);
  }

  private async enter(operation: SecretStoreOperation, options: SecretStoreCallOptions): Promise<void> {
    const index = this.failures.findIndex((failure) => failure.operation === operation);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      throw failure?.error;
    }
    if (this.hanging === operation) {
      await new Promise<never>((_, reject) => {
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
      });
    }
  }
}
