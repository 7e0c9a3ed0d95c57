import {
  asideName,
  checkNumberOption,
  isPersistenceError,
  type Persistence,
  PersistenceError,
  type SaveOptions,
  toBytes,
} from '@msal-persist/core';
import type { ChangeSignalLike } from './change-signal.js';
import type { KeyringAction, KeyringErrorMapper } from './keyring-error.js';
import type { SecretStore } from './secret-store.js';
import { withTimeout } from './with-timeout.js';

/**
 * Options for {@link KeyringPersistence}.
 *
 * @example
 * ```ts
 * const options: KeyringPersistenceOptions = {
 *   name: 'keychain:my-app/MSALCache', account: 'MSALCache', store, signal, mapError,
 * };
 * ```
 */
export interface KeyringPersistenceOptions {
  /** The persistence's `name`, e.g. `keychain:my-app/MSALCache`. */
  name: string;
  /** The key the cache is stored under in `store` (Keychain: the account; Secret Service: the schema). */
  account: string;
  /** What `account` is, for the keep-aside message (`moved to account …`). Default `account`. */
  keyKind?: string;
  /** Where the secret lives. */
  store: SecretStore;
  /** The change signal rewritten after every save and delete. */
  signal: ChangeSignalLike;
  /** Maps what `store` throws to typed errors. */
  mapError: KeyringErrorMapper;
  /** Longest wait for one store call before failing with `Timeout`, 1 to 2^31-1 ms. Default 5 000. */
  timeoutMs?: number;
  /** What to call the store in a timeout message, e.g. `the Secret Service`. Default `the secret store`. */
  storeLabel?: string;
}

/**
 * A {@link Persistence} over an OS secret store: the cache is one secret, and a small signal file
 * carries the change stamp because a keychain cannot be watched cheaply. The OS packages
 * (`persistence-keychain`, `persistence-libsecret`) are thin wrappers choosing its defaults.
 *
 * Every store call is bounded by `timeoutMs`, so a store stuck on an unlock prompt or a dead
 * D-Bus peer fails with `Timeout` instead of hanging a token call. Writes from this instance are
 * serialised; writes from other processes are excluded by the `Lock` given to the cache plugin.
 *
 * @example
 * ```ts
 * const persistence = new KeyringPersistence({
 *   name: 'keychain:my-app/MSALCache', account: 'MSALCache',
 *   store: new MemorySecretStore(), signal: new ChangeSignal('/tmp/app/msal.cache'), mapError,
 * });
 * ```
 */
export class KeyringPersistence implements Persistence {
  readonly name: string;
  readonly isEncrypted = true;
  /** The account the cache is stored under. */
  readonly account: string;
  private readonly store: SecretStore;
  private readonly signal: ChangeSignalLike;
  private readonly mapError: KeyringErrorMapper;
  private readonly timeoutMs: number;
  private readonly storeLabel: string;
  private readonly keyKind: string;
  private writes: Promise<unknown> = Promise.resolve();
  private abandoned: Promise<unknown> = Promise.resolve();

  constructor(options: KeyringPersistenceOptions) {
    this.name = options.name;
    this.account = options.account;
    this.store = options.store;
    this.signal = options.signal;
    this.mapError = options.mapError;
    // setTimeout's longest delay: beyond it Node fires at once.
    this.timeoutMs = checkNumberOption('timeoutMs', options.timeoutMs, 5_000, { min: 1, max: 2_147_483_647 });
    this.storeLabel = options.storeLabel ?? 'the secret store';
    this.keyKind = options.keyKind ?? 'account';
  }

  async load(): Promise<Uint8Array | null> {
    return this.call('read', (signal) => this.store.get(this.account, { signal }));
  }

  save(data: Uint8Array, options: SaveOptions = {}): Promise<string> {
    // Copy now: the caller may reuse its buffer before the serialised write runs.
    const snapshot = toBytes(data).slice();
    const { lock } = options;
    return this.serialise(async () => {
      // Last step before the secret is replaced, after this instance's earlier writes (LockLost).
      await lock?.verify?.();
      await this.call('write', (signal) => this.store.set(this.account, snapshot, { signal }));
      return this.touch('saved');
    });
  }

  delete(): Promise<void> {
    return this.serialise(async () => {
      await this.call('delete', (signal) => this.store.delete(this.account, { signal }));
      await this.touch('deleted');
    });
  }

  stamp(): string {
    try {
      return this.signal.stamp();
    } catch (error) {
      throw new PersistenceError(
        'Io',
        `Cannot check the change signal file ${this.signal.path} for changes; check that its folder is readable.`,
        { backend: this.name, cause: error },
      );
    }
  }

  keepAside(): Promise<string | undefined> {
    return this.serialise(async () => {
      const data = await this.call('read', (signal) => this.store.get(this.account, { signal }));
      if (data === null) return undefined;
      const aside = asideName(this.account);
      // Copy first, then delete: a failure in between leaves the original in place.
      await this.call('write', (signal) => this.store.set(aside, data, { signal }));
      await this.call('delete', (signal) => this.store.delete(this.account, { signal }));
      await this.touch('moved aside');
      return `${this.name}, moved to ${this.keyKind} ${aside}`;
    });
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    // Also after a write that timed out but may still land: ours must not be overtaken by it.
    const before = Promise.all([this.writes, this.abandoned]);
    const result = before.then(operation, operation);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private async call<T>(action: KeyringAction, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // A write or delete that times out keeps running natively. If it lands later, move the signal
    // so that every process reloads what is really stored, instead of trusting its stale stamp.
    const onAbandoned =
      action === 'read'
        ? undefined
        : (late: Promise<T>) => {
            this.abandoned = late.then(
              () => this.touch('saved').catch(() => undefined),
              () => undefined,
            );
          };
    try {
      return await withTimeout(run, this.timeoutMs, () => this.timeoutError(action), onAbandoned);
    } catch (error) {
      if (isPersistenceError(error)) throw error;
      throw this.mapError(error, { action, backend: this.name });
    }
  }

  private timeoutError(action: KeyringAction): PersistenceError {
    return new PersistenceError(
      'Timeout',
      `${this.storeLabel} did not answer a ${action} within ${this.timeoutMs} ms (it may be waiting for an unlock ` +
        'prompt nobody can see). Unlock it, raise timeoutMs, or use another backend.',
      { backend: this.name },
    );
  }

  private async touch(done: string): Promise<string> {
    try {
      return await this.signal.touch();
    } catch (error) {
      throw this.signalError(error, done);
    }
  }

  /**
   * The secret itself was stored; only the signal failed. Name the signal's real path (the
   * file-system error names a temporary file) and keep the underlying code.
   */
  private signalError(error: unknown, done: string): PersistenceError {
    const code = isPersistenceError(error) ? error.code : 'Io';
    // The file error already names the real path and says what to do; drop its "[backend] " prefix.
    const reason = error instanceof Error ? error.message.replace(/^\[[^\]]*\] /, '') : String(error);
    return new PersistenceError(
      code,
      `The token cache was ${done} in ${this.storeLabel.replace(/^The /, 'the ')}, but its change signal file ${this.signal.path} ` +
        `could not be updated, so other processes may not notice until a later save. ${reason}`,
      { backend: this.name, cause: error },
    );
  }
}
