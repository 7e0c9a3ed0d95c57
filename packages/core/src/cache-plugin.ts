import { bytesToText, isEmpty, textToBytes } from './bytes.js';
import { checkCacheShape } from './cache-shape.js';
import { isPersistenceError, PersistenceError } from './errors.js';
import type { Lock, LockHandle } from './lock.js';
import { consoleLogger, type Logger } from './logger.js';
import type { CacheContext, CachePlugin, SerializableTokenCache } from './msal-types.js';
import { Mutex } from './mutex.js';
import { checkNumberOption } from './options.js';
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
 * True when a read that started at `epoch` must not apply what it loaded: a write of this process
 * is in progress, or msal's memory was replaced since. `epoch` is undefined for a write's own reload.
 */
function overtaken(state: CacheState, epoch: number | undefined): boolean {
  return epoch !== undefined && (state.writes > 0 || state.epoch !== epoch);
}

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
  /**
   * How long a token call that writes waits for the lock, then `LockTimeout`: one deadline for the
   * wait behind other writes of this process and for the cross-process lock. Default 15 000.
   */
  lockTimeoutMs?: number;
  /**
   * What a failed save, or a lock that cannot be taken, does to the token call that produced the
   * change. `'throw'` (default): the call rejects with the `PersistenceError`; the new tokens stay in
   * this process's memory, so a retry is served silently, and the stored cache keeps its previous
   * content. `'warn'`: the call succeeds, the error is only logged, and the change stays in this
   * process's memory (saved by its next write that gets the lock, lost if another process changes
   * the store first).
   */
  onSaveError?: 'throw' | 'warn';
  /** Aborts every wait for the lock (for example at shutdown): the waiting token call rejects with `Aborted`. */
  signal?: AbortSignal;
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
  /** Stamp checks made (at most one per cache access). */
  stampChecks: number;
  /** Times the stored bytes were read and deserialized because the stamp moved. */
  loads: number;
  /** Successful saves. */
  saves: number;
  /** Loads that found unusable content and continued with an empty cache. */
  corruptLoads: number;
}

/** What this plugin knows about one msal token cache. */
interface CacheState {
  /** The stamp of what this token cache last loaded or saved. */
  stamp: string | undefined;
  /** Set while the stored content at this stamp must be kept aside before it is replaced. */
  asideStamp: string | undefined;
  /** Writes of this process between msal's `beforeCacheAccess` and `afterCacheAccess`. */
  writes: number;
  /** Moves when msal's memory is replaced or a write starts: a read that began before discards what it loaded. */
  epoch: number;
  /** A read ran during a write: msal may have rebuilt its memory from a snapshot that write had not updated. */
  stale: boolean;
}

interface Held {
  state: CacheState;
  /** The cross-process lock; undefined for a write kept in memory only (`onSaveError: 'warn'`). */
  handle: LockHandle | undefined;
  releaseLocal: (() => void) | undefined;
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
  private readonly signal: AbortSignal | undefined;
  private readonly writers: Mutex;
  // Keyed by context: msal runs accesses concurrently and calls afterCacheAccess even when
  // beforeCacheAccess threw, so only a context that really started a write may save.
  private readonly held = new WeakMap<CacheContext, Held>();
  // Per msal token cache: one plugin may serve several applications (say a public and a
  // confidential client), and each must load what it has not seen itself.
  private readonly seen = new WeakMap<SerializableTokenCache, CacheState>();

  constructor(options: PersistenceCachePluginOptions) {
    this.persistence = options.persistence;
    this.lock = options.lock;
    this.logger = options.logger ?? consoleLogger;
    // setTimeout fires at once for delays beyond 2^31 - 1 ms.
    this.lockTimeoutMs = checkNumberOption('lockTimeoutMs', options.lockTimeoutMs, 15_000, {
      min: 0,
      max: 2 ** 31 - 1,
    });
    const onSaveError = options.onSaveError ?? 'throw';
    if (onSaveError !== 'throw' && onSaveError !== 'warn') {
      throw new TypeError(`onSaveError must be 'throw' or 'warn', got ${JSON.stringify(onSaveError)}.`);
    }
    this.onSaveError = onSaveError;
    this.signal = options.signal;
    this.writers = new Mutex(this.persistence.name, 'another token call of this process is still writing the cache');
  }

  /** Called by msal before it reads or changes the cache. */
  async beforeCacheAccess(context: CacheContext): Promise<void> {
    const { tokenCache } = context;
    const state = this.state(tokenCache);
    if (!context.cacheHasChanged) {
      if (state.writes === 0) await this.refresh(tokenCache, state, 'read');
      // After a read access msal rebuilds its memory from its snapshot, which a write of this
      // process still in progress has not updated: that write must restore msal's memory.
      if (state.writes > 0) state.stale = true;
      return;
    }
    const held: Held = { state, ...(await this.hold()) };
    const others = state.writes;
    if (others === 0) state.stale = false;
    state.writes++;
    state.epoch++;
    this.held.set(context, held);
    try {
      // Under the lock, msal must apply its change on top of the latest stored state. Without the
      // lock, reload only when no other write of this process is between msal's change and its save.
      if (held.handle || others === 0) await this.refresh(tokenCache, state, 'write');
    } catch (error) {
      this.held.delete(context);
      state.writes--;
      await this.release(held);
      throw error;
    }
  }

  /** Called by msal after it read or changed the cache, also when the call failed. */
  async afterCacheAccess(context: CacheContext): Promise<void> {
    const held = this.held.get(context);
    if (!held) return;
    this.held.delete(context);
    try {
      if (held.handle) await this.persist(context.tokenCache, held.state);
      else this.keepInMemory(context.tokenCache, held.state);
    } finally {
      held.state.writes--;
      await this.release(held);
    }
  }

  private state(tokenCache: SerializableTokenCache): CacheState {
    let state = this.seen.get(tokenCache);
    if (!state) {
      state = { stamp: undefined, asideStamp: undefined, writes: 0, epoch: 0, stale: false };
      this.seen.set(tokenCache, state);
    }
    return state;
  }

  /**
   * Takes the in-process queue, then the cross-process lock, within one deadline. With
   * `onSaveError: 'warn'`, a lock that cannot be taken (not an abort) gives a memory-only write.
   */
  private async hold(): Promise<Omit<Held, 'state'>> {
    const deadline = performance.now() + this.lockTimeoutMs;
    const signal = this.signal ? { signal: this.signal } : {};
    let releaseLocal: (() => void) | undefined;
    try {
      releaseLocal = await this.writers.acquire({ ...signal, timeoutMs: this.lockTimeoutMs });
      const timeoutMs = Math.max(0, Math.ceil(deadline - performance.now()));
      return { handle: await this.lock.acquire({ ...signal, timeoutMs }), releaseLocal };
    } catch (error) {
      releaseLocal?.();
      const wrapped = this.wrap(error, 'take the lock for');
      if (this.onSaveError === 'throw' || wrapped.code === 'Aborted') throw wrapped;
      this.logger.error?.(
        `${wrapped.message} This change stays in this process's memory only and is not saved (onSaveError: 'warn').`,
      );
      return { handle: undefined, releaseLocal: undefined };
    }
  }

  private async release(held: Held): Promise<void> {
    try {
      if (held.handle) await held.handle.release();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn?.(`${this.persistence.name}: releasing the cache lock failed (${reason}).`);
    } finally {
      held.releaseLocal?.();
    }
  }

  /**
   * Loads the store into msal if its stamp moved. A read gives up as soon as a write of this
   * process starts or msal's memory is replaced meanwhile: what it loaded may be older.
   */
  private async refresh(
    tokenCache: SerializableTokenCache,
    state: CacheState,
    access: 'read' | 'write',
  ): Promise<void> {
    const epoch = access === 'read' ? state.epoch : undefined;
    this.stats.stampChecks++;
    let stamp: string;
    try {
      const pending = this.persistence.stamp();
      stamp = typeof pending === 'string' ? pending : await pending;
    } catch (error) {
      throw this.wrap(error, 'check for changes to');
    }
    if (stamp === state.stamp || overtaken(state, epoch)) return;
    let data: Uint8Array | null;
    try {
      data = await this.persistence.load();
    } catch (error) {
      if (!isPersistenceError(error, 'Corrupt')) throw this.wrap(error, 'read');
      if (overtaken(state, epoch)) return;
      this.useEmptyBecauseCorrupt(tokenCache, state, stamp, error.message);
      return;
    }
    if (overtaken(state, epoch)) return;
    this.apply(tokenCache, state, stamp, data);
  }

  private apply(tokenCache: SerializableTokenCache, state: CacheState, stamp: string, data: Uint8Array | null): void {
    this.stats.loads++;
    state.epoch++;
    state.stamp = stamp;
    state.asideStamp = undefined;
    if (data === null || isEmpty(data)) {
      replaceCache(tokenCache, EMPTY_CACHE);
      return;
    }
    let text: string;
    let shape: ReturnType<typeof checkCacheShape>;
    try {
      text = bytesToText(data);
      shape = checkCacheShape(text);
      if (shape.verdict !== 'unusable') replaceCache(tokenCache, text);
    } catch (error) {
      // Never the parser's message: V8 quotes the input around the error, which would put pieces
      // of tokens into logs.
      this.useEmptyBecauseCorrupt(
        tokenCache,
        state,
        stamp,
        `${error instanceof Error ? error.name : 'error'} while parsing`,
      );
      return;
    }
    if (shape.verdict === 'unusable') {
      this.useEmptyBecauseCorrupt(tokenCache, state, stamp, shape.reason);
    } else if (shape.verdict === 'lossy') {
      state.asideStamp = stamp;
      this.logger.warn?.(
        `${this.persistence.name}: the stored token cache has entries msal-node would drop (${shape.reason}). ` +
          'msal uses the rest; the stored content is kept aside before the next save replaces it.',
      );
    }
  }

  /** `reason` names what is wrong without quoting stored content. */
  private useEmptyBecauseCorrupt(
    tokenCache: SerializableTokenCache,
    state: CacheState,
    stamp: string,
    reason: string,
  ): void {
    // msal stores the snapshot before parsing it, so reset it or every later call would throw.
    replaceCache(tokenCache, EMPTY_CACHE);
    this.stats.corruptLoads++;
    state.epoch++;
    state.stamp = stamp;
    state.asideStamp = stamp;
    this.logger.warn?.(
      `${this.persistence.name}: the stored token cache cannot be read (${reason}); continuing with an empty cache. ` +
        'The unreadable content is kept aside at the next save; users may have to sign in again.',
    );
  }

  private async persist(tokenCache: SerializableTokenCache, state: CacheState): Promise<void> {
    const text = this.serialize(tokenCache, state);
    if (text === undefined) return;
    const epoch = state.epoch;
    if (state.asideStamp !== undefined && state.asideStamp === state.stamp) {
      state.asideStamp = undefined;
      await this.keepAside();
    }
    let stamp: string;
    try {
      stamp = await this.persistence.save(textToBytes(text));
    } catch (error) {
      // Keep the new tokens in this process: msal rebuilds its memory from the snapshot on every
      // silent call, so without this the token just acquired would vanish here too.
      this.settle(tokenCache, state, text, epoch);
      const wrapped = this.wrap(error, 'save');
      this.logger.error?.(`${wrapped.message} The tokens stay in this process's memory only.`);
      if (this.onSaveError === 'throw') throw wrapped;
      return;
    }
    this.settle(tokenCache, state, text, epoch);
    state.stamp = stamp;
    this.stats.saves++;
  }

  private keepInMemory(tokenCache: SerializableTokenCache, state: CacheState): void {
    const text = this.serialize(tokenCache, state);
    if (text !== undefined) this.settle(tokenCache, state, text, state.epoch);
  }

  /**
   * Makes `text`, serialized when msal's memory was at `epoch`, msal's snapshot (msal rebuilds its
   * memory from it on every silent call), and its memory too where a read rebuilt that meanwhile.
   */
  private settle(tokenCache: SerializableTokenCache, state: CacheState, text: string, epoch: number): void {
    // A later write of this process changed msal's memory after `text` was taken; it settles msal itself.
    if (state.epoch !== epoch) return;
    if (state.stale) replaceCache(tokenCache, text);
    else adoptSaved(tokenCache, text);
  }

  /**
   * msal's `serialize()` merges its snapshot and throws on shapes the load check does not know; its
   * message can quote a stored token, so it is never passed on. The content is treated as corrupt,
   * so this happens once, not on every write.
   */
  private serialize(tokenCache: SerializableTokenCache, state: CacheState): string | undefined {
    try {
      return tokenCache.serialize();
    } catch (error) {
      state.asideStamp = state.stamp;
      state.epoch++;
      replaceCache(tokenCache, EMPTY_CACHE);
      const wrapped = new PersistenceError(
        'Corrupt',
        `msal-node could not serialize the token cache (${error instanceof Error ? error.name : 'error'}); ` +
          'this change is lost, the stored content is kept aside at the next save and the cache starts empty.',
        { backend: this.persistence.name },
      );
      this.logger.error?.(wrapped.message);
      if (this.onSaveError === 'throw') throw wrapped;
      return undefined;
    }
  }

  private async keepAside(): Promise<void> {
    if (!this.persistence.keepAside) {
      this.logger.warn?.(
        `${this.persistence.name}: replacing the previous token cache (this backend cannot keep it aside).`,
      );
      return;
    }
    try {
      const where = await this.persistence.keepAside();
      if (where) this.logger.warn?.(`${this.persistence.name}: the previous token cache was kept at ${where}.`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn?.(
        `${this.persistence.name}: could not keep the previous token cache aside (${reason}); replacing it.`,
      );
    }
  }

  private wrap(error: unknown, action: string): PersistenceError {
    if (isPersistenceError(error)) return error;
    return new PersistenceError('Io', `Could not ${action} the token cache; see the cause.`, {
      backend: this.persistence.name,
      cause: error,
    });
  }
}
