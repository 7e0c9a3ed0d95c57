import { AccountTracker } from './account-tracker.js';
import { bytesToText, isEmpty, textToBytes } from './bytes.js';
import { CACHE_CHANGED, type CacheChangedEvent } from './cache-changed-event.js';
import { checkCacheShape } from './cache-shape.js';
import { isPersistenceError, PersistenceError } from './errors.js';
import type { Lock, LockHandle } from './lock.js';
import { type Logger, type LoggerOptions, resolveLogger } from './logger.js';
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

/** The cache text in `data`, or `''` for none or bytes that are not UTF-8 (no cache for msal either). */
function textOrEmpty(data: Uint8Array | null): string {
  if (data === null || isEmpty(data)) return '';
  try {
    return bytesToText(data);
  } catch {
    return '';
  }
}

/** Milliseconds since `started`, rounded for a log line. */
function elapsed(started: number): string {
  return (performance.now() - started).toFixed(1);
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
  /**
   * Receives errors (failed save), warnings (corrupt cache), info (cleared) and debug lines (lock
   * waits, reloads and skipped reloads, saves with sizes and times): a {@link Logger}, or msal's
   * own `LoggerOptions` (`loggerCallback`, `logLevel`; debug lines at Verbose). Never a token.
   * Default: the console, warnings and errors only.
   */
  logger?: Logger | LoggerOptions;
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
  /**
   * What the caller has just read from `persistence`, with the stamp it read before that read: the
   * first access that needs the stored cache uses it instead of reading the store again, when the
   * stamp has not moved since. `createCachePlugin` passes what its start-up check read, which saves
   * a keyring round trip at every process start.
   */
  preloaded?: PreloadedCache;
}

/**
 * A read of the store made before the plugin existed, for {@link PersistenceCachePluginOptions.preloaded}.
 *
 * @example
 * ```ts
 * const stamp = await persistence.stamp();
 * const preloaded: PreloadedCache = { stamp, data: await persistence.load() };
 * ```
 */
export interface PreloadedCache {
  /** The store's stamp, read before `data`. */
  readonly stamp: string;
  /** What `load()` returned. */
  readonly data: Uint8Array | null;
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
  /** The plugin's count of clear() calls when this cache last loaded: a later clear() makes it reload. */
  clears: number;
}

/**
 * A listener for {@link CacheChangedEvent}: a function or an object with `handleEvent`.
 *
 * @example
 * ```ts
 * const listener: CacheChangedListener = (event) => console.log(event.accountsAdded);
 * ```
 */
export type CacheChangedListener =
  | ((event: CacheChangedEvent) => void)
  | { handleEvent(event: CacheChangedEvent): void };

/** Whatever this runtime's `EventTarget` takes as a listener and as options (DOM and Node types differ). */
type AnyListener = Parameters<EventTarget['addEventListener']>[1];
type ListenerOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveListenerOptions = Parameters<EventTarget['removeEventListener']>[2];

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
 * It is an `EventTarget`: `cachechanged` ({@link CacheChangedEvent}) fires when a load or a save
 * changes the set of accounts in the store. The plugin sees the store only when msal accesses the
 * cache, or on {@link PersistenceCachePlugin.checkForChanges}.
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
export class PersistenceCachePlugin extends EventTarget implements CachePlugin {
  /** Diagnostics counters. */
  readonly stats: CachePluginStats = { stampChecks: 0, loads: 0, saves: 0, corruptLoads: 0 };
  private readonly persistence: Persistence;
  private readonly lock: Lock;
  private readonly logger: Logger;
  /** Set only when the logger takes debug lines, so no debug line is built otherwise. */
  private readonly debug: ((message: string) => void) | undefined;
  private readonly accounts = new AccountTracker();
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
  /** How many times clear() succeeded here: a token cache that loaded before the last one reloads. */
  private clears = 0;
  /** Used once, by the first access that needs the stored cache, and only at its stamp. */
  private preloaded: PreloadedCache | undefined;

  constructor(options: PersistenceCachePluginOptions) {
    super();
    this.persistence = options.persistence;
    this.lock = options.lock;
    const logger = resolveLogger(options.logger);
    this.logger = logger;
    this.debug = logger.debug?.bind(logger);
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
    const { preloaded } = options;
    if (
      preloaded !== undefined &&
      (typeof preloaded?.stamp !== 'string' || !(preloaded.data === null || preloaded.data instanceof Uint8Array))
    ) {
      throw new TypeError(
        'preloaded must be { stamp: string, data: Uint8Array | null } (what stamp() and load() returned).',
      );
    }
    this.preloaded = preloaded;
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
      if (this.accounts.pending !== undefined) this.report();
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
      this.report();
      throw error;
    }
  }

  /** Called by msal after it read or changed the cache, also when the call failed. */
  async afterCacheAccess(context: CacheContext): Promise<void> {
    const held = this.held.get(context);
    if (!held) return;
    this.held.delete(context);
    try {
      if (held.handle) await this.persist(context.tokenCache, held.state, held.handle);
      else this.keepInMemory(context.tokenCache, held.state);
    } finally {
      held.state.writes--;
      await this.release(held);
      this.report();
    }
  }

  /**
   * Removes the stored cache for every process, as `msal-persist clear` does: after this
   * process's writes in progress and under the cross-process lock, so no write interleaves. The
   * store's stamp moves, so every process (this one included) finds the cache empty at its next
   * access and its next write starts from empty. Fires `cachechanged` with the accounts removed.
   * Rejects with a `PersistenceError` (`LockTimeout` after `lockTimeoutMs`, also with
   * `onSaveError: 'warn'`; the backend's error when it cannot delete).
   *
   * @example
   * ```ts
   * await cachePlugin.clear(); // everyone is signed out
   * ```
   */
  async clear(): Promise<void> {
    this.preloaded = undefined;
    const held = await this.hold(true);
    try {
      try {
        // A hold broken while this process was stopped must not delete a newer save.
        await held.handle?.verify?.();
        await this.persistence.delete();
      } catch (error) {
        // A delete that failed half way (the file removed, the note for other processes not
        // written) still changed the store: this process reloads it at its next access, whatever
        // it now holds, rather than serving what only its memory has.
        this.clears++;
        throw this.wrap(error, 'delete');
      }
      // Where deleting an empty store leaves its stamp as it was (no file before, none after), what
      // a failed save left in msal's memory would otherwise still be served.
      this.clears++;
      this.accounts.observe(await this.stampOrUndefined(), '', 'clear');
    } finally {
      await this.release(held);
    }
    this.logger.info?.(`${this.persistence.name}: cleared the token cache.`);
    this.report();
  }

  /**
   * Looks at the store without an msal call: when it changed since this plugin last saw it, reads
   * it and fires `cachechanged` if its accounts differ from those last reported. Resolves with that
   * event, or `undefined`. msal's memory is not touched (its next access reloads as usual).
   * msal-plugin's `watch()` calls this when the cache's file changes; call it on a timer for a
   * store without files.
   *
   * @example
   * ```ts
   * setInterval(() => void cachePlugin.checkForChanges().catch(console.error), 30_000);
   * ```
   */
  async checkForChanges(): Promise<CacheChangedEvent | undefined> {
    const since = this.accounts.generation;
    let stamp: string;
    try {
      stamp = await this.persistence.stamp();
    } catch (error) {
      throw this.wrap(error, 'check for changes to');
    }
    if (stamp !== this.accounts.stamp) {
      let data: Uint8Array | null = null;
      try {
        data = await this.persistence.load();
      } catch (error) {
        // Unusable content is an empty cache for msal too; its next access warns about it.
        if (!isPersistenceError(error, 'Corrupt')) throw this.wrap(error, 'read');
      }
      this.accounts.observe(stamp, textOrEmpty(data), 'load', since);
    }
    const event = this.accounts.take(true);
    if (event) this.dispatchEvent(event);
    return event;
  }

  /**
   * Listens for `cachechanged`; the listener gets a {@link CacheChangedEvent}. A listener that
   * throws is reported as an uncaught exception, as for any `EventTarget`.
   *
   * @example
   * ```ts
   * cachePlugin.addEventListener('cachechanged', (event) => console.log(event.accountsAdded, event.accountsRemoved));
   * ```
   */
  override addEventListener(
    type: typeof CACHE_CHANGED,
    listener: CacheChangedListener | null,
    options?: ListenerOptions,
  ): void;
  override addEventListener(type: string, listener: AnyListener | null, options?: ListenerOptions): void;
  override addEventListener(
    type: string,
    listener: AnyListener | CacheChangedListener | null,
    options?: ListenerOptions,
  ): void {
    if (type === CACHE_CHANGED && listener) this.accounts.subscribe();
    super.addEventListener(type, listener as AnyListener, options);
  }

  /**
   * Removes a listener added with `addEventListener` or {@link PersistenceCachePlugin.on}.
   *
   * @example
   * ```ts
   * cachePlugin.removeEventListener('cachechanged', listener);
   * ```
   */
  override removeEventListener(
    type: typeof CACHE_CHANGED,
    listener: CacheChangedListener | null,
    options?: RemoveListenerOptions,
  ): void;
  override removeEventListener(type: string, listener: AnyListener | null, options?: RemoveListenerOptions): void;
  override removeEventListener(
    type: string,
    listener: AnyListener | CacheChangedListener | null,
    options?: RemoveListenerOptions,
  ): void {
    super.removeEventListener(type, listener as AnyListener, options);
  }

  /**
   * `addEventListener`, the way Node's `EventEmitter` spells it; returns the plugin.
   *
   * @example
   * ```ts
   * cachePlugin.on('cachechanged', ({ accountsAdded, accountsRemoved }) => updateSignedInUsers(accountsAdded, accountsRemoved));
   * ```
   */
  on(type: typeof CACHE_CHANGED, listener: CacheChangedListener): this {
    this.addEventListener(type, listener);
    return this;
  }

  /**
   * A listener called once, the way Node's `EventEmitter` spells it; returns the plugin. With
   * `on` it also makes Node's `events.once(plugin, 'cachechanged')` and `events.on(…)` work (they
   * take anything with an `on` method for an `EventEmitter`).
   *
   * @example
   * ```ts
   * const [event] = await once(cachePlugin, 'cachechanged'); // import { once } from 'node:events'
   * ```
   */
  once(type: typeof CACHE_CHANGED, listener: CacheChangedListener): this {
    this.addEventListener(type, listener, { once: true });
    return this;
  }

  /**
   * `removeEventListener`, the way Node's `EventEmitter` spells it; returns the plugin.
   *
   * @example
   * ```ts
   * cachePlugin.off('cachechanged', listener);
   * ```
   */
  off(type: typeof CACHE_CHANGED, listener: CacheChangedListener): this {
    this.removeEventListener(type, listener);
    return this;
  }

  /** Fires the pending `cachechanged`, outside any lock: a listener may call msal again. */
  private report(): void {
    const event = this.accounts.take();
    if (event) this.dispatchEvent(event);
  }

  private async stampOrUndefined(): Promise<string | undefined> {
    try {
      return await this.persistence.stamp();
    } catch {
      // The next access stamps again and reloads.
      return undefined;
    }
  }

  private state(tokenCache: SerializableTokenCache): CacheState {
    let state = this.seen.get(tokenCache);
    if (!state) {
      state = { stamp: undefined, asideStamp: undefined, writes: 0, epoch: 0, stale: false, clears: this.clears };
      this.seen.set(tokenCache, state);
    }
    return state;
  }

  /**
   * Takes the in-process queue, then the cross-process lock, within one deadline. With
   * `onSaveError: 'warn'`, a lock that cannot be taken (not an abort) gives a memory-only write,
   * unless the lock is `required`.
   */
  private async hold(required = false): Promise<Omit<Held, 'state'>> {
    const started = performance.now();
    const deadline = started + this.lockTimeoutMs;
    const signal = this.signal ? { signal: this.signal } : {};
    let releaseLocal: (() => void) | undefined;
    try {
      releaseLocal = await this.writers.acquire({ ...signal, timeoutMs: this.lockTimeoutMs });
      const timeoutMs = Math.max(0, Math.ceil(deadline - performance.now()));
      const handle = await this.lock.acquire({ ...signal, timeoutMs });
      if (this.debug) this.debug(`${this.persistence.name}: lock taken after waiting ${elapsed(started)} ms.`);
      return { handle, releaseLocal };
    } catch (error) {
      releaseLocal?.();
      const wrapped = this.wrap(error, 'take the lock for');
      if (required || this.onSaveError === 'throw' || wrapped.code === 'Aborted') throw wrapped;
      this.logger.error?.(
        `${wrapped.message} This change stays in this process's memory only and is not saved (onSaveError: 'warn').`,
      );
      return { handle: undefined, releaseLocal: undefined };
    }
  }

  private async release(held: Omit<Held, 'state'>): Promise<void> {
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
    const since = access === 'read' ? this.accounts.generation : undefined;
    this.stats.stampChecks++;
    let stamp: string;
    try {
      const pending = this.persistence.stamp();
      stamp = typeof pending === 'string' ? pending : await pending;
    } catch (error) {
      throw this.wrap(error, 'check for changes to');
    }
    if (stamp === state.stamp && state.clears === this.clears) {
      if (this.debug) this.debug(`${this.persistence.name}: unchanged, reload skipped (${access}).`);
      return;
    }
    if (overtaken(state, epoch)) return;
    const started = this.debug ? performance.now() : 0;
    let data: Uint8Array | null;
    const preloaded = this.preloaded;
    this.preloaded = undefined;
    try {
      data = preloaded?.stamp === stamp ? preloaded.data : await this.persistence.load();
    } catch (error) {
      if (!isPersistenceError(error, 'Corrupt')) throw this.wrap(error, 'read');
      if (overtaken(state, epoch)) return;
      this.useEmptyBecauseCorrupt(tokenCache, state, stamp, error.message);
      this.accounts.observe(stamp, '', 'load', since);
      return;
    }
    if (overtaken(state, epoch)) {
      if (this.debug)
        this.debug(`${this.persistence.name}: dropped a reload: a write of this process started meanwhile.`);
      return;
    }
    this.accounts.observe(stamp, this.apply(tokenCache, state, stamp, data), 'load', since);
    if (this.debug) {
      this.debug(
        `${this.persistence.name}: changed, reloaded ${data?.byteLength ?? 0} bytes in ${elapsed(started)} ms (${access}).`,
      );
    }
  }

  /** Hands `data` to msal; resolves with the text msal now holds (`''` for none or unusable content). */
  private apply(tokenCache: SerializableTokenCache, state: CacheState, stamp: string, data: Uint8Array | null): string {
    this.stats.loads++;
    state.epoch++;
    state.stamp = stamp;
    state.clears = this.clears;
    state.asideStamp = undefined;
    if (data === null || isEmpty(data)) {
      replaceCache(tokenCache, EMPTY_CACHE);
      return '';
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
      return '';
    }
    if (shape.verdict === 'unusable') {
      this.useEmptyBecauseCorrupt(tokenCache, state, stamp, shape.reason);
      return '';
    }
    if (shape.verdict === 'lossy') {
      state.asideStamp = stamp;
      this.logger.warn?.(
        `${this.persistence.name}: the stored token cache has entries msal-node would drop (${shape.reason}). ` +
          'msal uses the rest; the stored content is kept aside before the next save replaces it.',
      );
    }
    return text;
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
    state.clears = this.clears;
    state.asideStamp = stamp;
    this.logger.warn?.(
      `${this.persistence.name}: the stored token cache cannot be read (${reason}); continuing with an empty cache. ` +
        'The unreadable content is kept aside at the next save; users may have to sign in again.',
    );
  }

  private async persist(tokenCache: SerializableTokenCache, state: CacheState, handle: LockHandle): Promise<void> {
    const text = this.serialize(tokenCache, state);
    if (text === undefined) return;
    const epoch = state.epoch;
    if (state.asideStamp !== undefined && state.asideStamp === state.stamp) {
      state.asideStamp = undefined;
      await this.keepAside(handle);
    }
    let stamp: string;
    const started = this.debug ? performance.now() : 0;
    const bytes = textToBytes(text);
    try {
      // The persistence checks the hold right before it replaces the stored bytes (LockLost).
      stamp = await this.persistence.save(bytes, { lock: handle });
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
    this.accounts.observe(stamp, text, 'save');
    if (this.debug) this.debug(`${this.persistence.name}: saved ${bytes.byteLength} bytes in ${elapsed(started)} ms.`);
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

  private async keepAside(handle: LockHandle): Promise<void> {
    if (!this.persistence.keepAside) {
      this.logger.warn?.(
        `${this.persistence.name}: replacing the previous token cache (this backend cannot keep it aside).`,
      );
      return;
    }
    try {
      // Moving aside what a writer that broke our hold saved would hide its save.
      await handle.verify?.();
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
