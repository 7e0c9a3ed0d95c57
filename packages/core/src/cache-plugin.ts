import { bytesToText, isEmpty, textToBytes } from './bytes.js';
import { isPersistenceError, PersistenceError } from './errors.js';
import type { Lock, LockHandle } from './lock.js';
import { consoleLogger, type Logger } from './logger.js';
import type { CacheContext, CachePlugin, SerializableTokenCache } from './msal-types.js';
import { Mutex } from './mutex.js';
import type { Persistence } from './persistence.js';

/**
 * Replaces msal's in-memory cache with `text`. msal's `deserialize` only adds entries, so an
 * account or token another process removed would stay in memory and be written back by the next
 * save. msal-node's `TokenCache` keeps its storage in a `storage` field whose `clear()` is what
 * msal's own `overwriteCache` uses; clear it first where it exists (the real-msal tests pin this).
 */
function replaceCache(tokenCache: SerializableTokenCache, text: string): void {
  const storage = (tokenCache as { storage?: { clear?: unknown } }).storage;
  if (storage && typeof storage.clear === 'function') storage.clear();
  tokenCache.deserialize(text);
}

/**
 * Makes `text`, just serialized from msal's memory and saved, msal's snapshot. msal rebuilds its
 * memory from the snapshot on every silent call, so it must equal what was saved. Its memory
 * already holds exactly these entries, so where msal-node's `TokenCache` exposes the snapshot
 * field we set it instead of paying a second parse inside the lock; elsewhere `deserialize` does it.
 */
function adoptSaved(tokenCache: SerializableTokenCache, text: string): void {
  const cache = tokenCache as { cacheSnapshot?: unknown };
  if (typeof cache.cacheSnapshot === 'string') cache.cacheSnapshot = text;
  else tokenCache.deserialize(text);
}

/** msal's own empty cache: deserializing it clears the in-memory cache and leaves a valid snapshot. */
const EMPTY_CACHE = '{"Account":{},"IdToken":{},"AccessToken":{},"RefreshToken":{},"AppMetadata":{}}';

/**
 * Options for {@link PersistenceCachePlugin}.
 *
 * @example
 * ```ts
 * const options: PersistenceCachePluginOptions = { persistence, lock, lockTimeoutMs: 5_000 };
 * ```
 */
export interface PersistenceCachePluginOptions {
  /** Where the cache lives. */
  persistence: Persistence;
  /** Mutual exclusion among every process that writes this cache. */
  lock: Lock;
  /** Receives warnings (corrupt cache) and errors (failed save). Default: the console. */
  logger?: Logger;
  /** How long a token call waits for the cross-process lock before failing with `LockTimeout`. Default 15 000. */
  lockTimeoutMs?: number;
  /**
   * What a failed save does to the token call that produced the change. `'throw'` (default):
   * the call rejects with the `PersistenceError`; the new tokens stay in this process's memory, so
   * a retry is served silently, and the stored cache keeps its previous content. `'warn'`: the
   * call succeeds and the error is only logged.
   */
  onSaveError?: 'throw' | 'warn';
}

/**
 * Counters for diagnostics and tests.
 *
 * @example
 * ```ts
 * console.log(plugin.stats.loads, plugin.stats.saves);
 * ```
 */
export interface CachePluginStats {
  /** Stamp checks made (one per cache access). */
  stampChecks: number;
  /** Times the stored bytes were read and deserialized because the stamp moved. */
  loads: number;
  /** Successful saves. */
  saves: number;
  /** Loads that found unusable content and continued with an empty cache. */
  corruptLoads: number;
}

interface SeenState {
  /** The stamp of what this token cache last loaded or saved. */
  stamp: string | undefined;
  /** Set while the stored content is the unreadable one seen at this stamp. */
  corruptStamp: string | undefined;
}

interface Held {
  handle: LockHandle;
  releaseLocal: () => void;
}

/**
 * The reload-on-change msal cache plugin. Reads check a cheap stamp and deserialize only when
 * another writer changed the store; writes take the lock, reload if needed, let msal apply its
 * change, save atomically, and keep msal's snapshot equal to what was saved.
 *
 * @example
 * ```ts
 * import { PublicClientApplication } from '@azure/msal-node';
 * import { MemoryLock, MemoryPersistence, PersistenceCachePlugin } from '@msal-persist/core';
 *
 * const cachePlugin = new PersistenceCachePlugin({ persistence: new MemoryPersistence(), lock: new MemoryLock() });
 * const app = new PublicClientApplication({ auth: { clientId }, cache: { cachePlugin } });
 * ```
 */
export class PersistenceCachePlugin implements CachePlugin {
  /** Diagnostics counters. */
  readonly stats: CachePluginStats = { stampChecks: 0, loads: 0, saves: 0, corruptLoads: 0 };
  private readonly persistence: Persistence;
  private readonly lock: Lock;
  private readonly logger: Logger;
  private readonly lockTimeoutMs: number;
  private readonly onSaveError: 'throw' | 'warn';
  private readonly writers = new Mutex();
  // Keyed by context: msal runs accesses concurrently and calls afterCacheAccess even when
  // beforeCacheAccess threw, so only a context that really took the lock may save.
  private readonly held = new WeakMap<CacheContext, Held>();
  // Per msal token cache: one plugin may serve several applications (say a public and a
  // confidential client), and each must load what it has not seen itself.
  private readonly seen = new WeakMap<SerializableTokenCache, SeenState>();

  constructor(options: PersistenceCachePluginOptions) {
    this.persistence = options.persistence;
    this.lock = options.lock;
    this.logger = options.logger ?? consoleLogger;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.onSaveError = options.onSaveError ?? 'throw';
  }

  /** Called by msal before it reads or changes the cache. */
  async beforeCacheAccess(context: CacheContext): Promise<void> {
    if (!context.cacheHasChanged) {
      await this.reloadIfChanged(context.tokenCache);
      return;
    }
    const releaseLocal = await this.writers.acquire();
    let handle: LockHandle | undefined;
    try {
      handle = await this.lock.acquire({ timeoutMs: this.lockTimeoutMs });
      // Under the lock: msal must apply its change on top of the latest stored state.
      await this.reloadIfChanged(context.tokenCache);
    } catch (error) {
      if (handle) await this.releaseQuietly(handle);
      releaseLocal();
      throw error;
    }
    this.held.set(context, { handle, releaseLocal });
  }

  /** Called by msal after it read or changed the cache, also when the call failed. */
  async afterCacheAccess(context: CacheContext): Promise<void> {
    const held = this.held.get(context);
    if (!held) return;
    this.held.delete(context);
    try {
      await this.persist(context.tokenCache);
    } finally {
      await this.releaseQuietly(held.handle);
      held.releaseLocal();
    }
  }

  private state(tokenCache: SerializableTokenCache): SeenState {
    let state = this.seen.get(tokenCache);
    if (!state) {
      state = { stamp: undefined, corruptStamp: undefined };
      this.seen.set(tokenCache, state);
    }
    return state;
  }

  private async reloadIfChanged(tokenCache: SerializableTokenCache): Promise<void> {
    this.stats.stampChecks++;
    const state = this.state(tokenCache);
    const pending = this.persistence.stamp();
    const stamp = typeof pending === 'string' ? pending : await pending;
    if (stamp === state.stamp) return;

    let data: Uint8Array | null;
    try {
      data = await this.persistence.load();
    } catch (error) {
      if (!isPersistenceError(error, 'Corrupt')) throw this.wrap(error, 'read');
      this.useEmptyBecauseCorrupt(tokenCache, state, stamp, error);
      return;
    }
    this.stats.loads++;
    state.stamp = stamp;
    state.corruptStamp = undefined;
    if (data === null || isEmpty(data)) {
      replaceCache(tokenCache, EMPTY_CACHE);
      return;
    }
    try {
      const text = bytesToText(data);
      // msal parses whatever we give it; a top-level non-object would poison its snapshot.
      if (!/^\s*\{/.test(text)) throw new SyntaxError('the cache is not a JSON object');
      replaceCache(tokenCache, text);
    } catch (error) {
      this.useEmptyBecauseCorrupt(tokenCache, state, stamp, error);
    }
  }

  private useEmptyBecauseCorrupt(
    tokenCache: SerializableTokenCache,
    state: SeenState,
    stamp: string,
    cause: unknown,
  ): void {
    // msal stores the snapshot before parsing it, so reset it or every later call would throw.
    replaceCache(tokenCache, EMPTY_CACHE);
    this.stats.corruptLoads++;
    state.stamp = stamp;
    state.corruptStamp = stamp;
    // Never the parser's message: V8 quotes the input around the error, which would put pieces
    // of tokens into logs. A backend's own Corrupt message says what happened without content.
    const reason = isPersistenceError(cause)
      ? cause.message
      : `${cause instanceof Error ? cause.name : 'error'} while parsing`;
    this.logger.warn?.(
      `${this.persistence.name}: the stored token cache cannot be read (${reason}); continuing with an empty cache. ` +
        'The unreadable content is kept aside at the next save; users may have to sign in again.',
    );
  }

  private async persist(tokenCache: SerializableTokenCache): Promise<void> {
    const state = this.state(tokenCache);
    const text = tokenCache.serialize();
    if (state.corruptStamp !== undefined && state.corruptStamp === state.stamp) {
      state.corruptStamp = undefined;
      await this.keepCorruptAside();
    }
    let stamp: string;
    try {
      stamp = await this.persistence.save(textToBytes(text));
    } catch (error) {
      // Keep the new tokens in this process: msal rebuilds its memory from the snapshot on every
      // silent call, so without this the token just acquired would vanish here too.
      adoptSaved(tokenCache, text);
      const wrapped = this.wrap(error, 'save');
      this.logger.error?.(`${wrapped.message} The tokens stay in this process's memory only.`);
      if (this.onSaveError === 'throw') throw wrapped;
      return;
    }
    adoptSaved(tokenCache, text);
    state.stamp = stamp;
    this.stats.saves++;
  }

  private async keepCorruptAside(): Promise<void> {
    if (!this.persistence.keepAside) {
      this.logger.warn?.(
        `${this.persistence.name}: replacing the unreadable token cache (this backend cannot keep it aside).`,
      );
      return;
    }
    try {
      const where = await this.persistence.keepAside();
      if (where) this.logger.warn?.(`${this.persistence.name}: the unreadable token cache was kept at ${where}.`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn?.(
        `${this.persistence.name}: could not keep the unreadable token cache aside (${reason}); replacing it.`,
      );
    }
  }

  private async releaseQuietly(handle: LockHandle): Promise<void> {
    try {
      await handle.release();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn?.(`${this.persistence.name}: releasing the cache lock failed (${reason}).`);
    }
  }

  private wrap(error: unknown, action: 'read' | 'save'): PersistenceError {
    if (isPersistenceError(error)) return error;
    return new PersistenceError('Io', `Could not ${action} the token cache; see the cause.`, {
      backend: this.persistence.name,
      cause: error,
    });
  }
}
