import { isPersistenceError, PersistenceError } from './errors.js';
import type { LockHandle } from './lock.js';
import { checkNumberOption } from './options.js';
import type { PartitionedStore } from './partitioned-store.js';

/** Options for {@link singleFlight}. */
export interface SingleFlightOptions<T> {
  /** The store shared by every process: its locks make the flight fleet-wide. */
  store: PartitionedStore;
  /**
   * What is being fetched: the partition key and the sorted scopes (plus anything else that makes
   * two requests different, such as claims). Calls with equal keys share one token request.
   */
  key: string;
  /**
   * Reads the cache only, never the network: the value, or `undefined` when it is missing or
   * expired. Called first without the lock, then again once the lock is held, because another
   * process may have fetched and saved it meanwhile.
   */
  lookup: () => Promise<T | undefined>;
  /** Asks the identity provider and saves the result in the cache, so that the waiters' `lookup` finds it. */
  fetch: () => Promise<T>;
  /**
   * How long to wait for another process's fetch before fetching anyway, in milliseconds. A holder
   * that died is detected by the lock (at once on this host for `FileLock`, at lease expiry for
   * Redis), so this bounds only a live but stuck holder. Default 10,000.
   */
  lockTimeoutMs?: number;
  /**
   * What to do when the lock cannot be had (`LockTimeout`, or the store is unavailable): `'fetch'`
   * (default) fetches without it — a token request matters more than saving one; `'throw'` rejects
   * with the lock's error.
   */
  onLockError?: 'fetch' | 'throw';
  /** Stops this caller's wait with an `Aborted` error; a flight other callers joined goes on. */
  signal?: AbortSignal;
}

/** What {@link singleFlight} resolved with. */
export interface SingleFlightResult<T> {
  readonly value: T;
  /** `'cache'`: a lookup found it (maybe after waiting for another process's fetch); `'fetch'`: this flight fetched it. */
  readonly source: 'cache' | 'fetch';
  /** True when this call joined a flight already running in this process instead of running its own. */
  readonly joined: boolean;
}

type Flight = Promise<{ value: unknown; source: 'cache' | 'fetch' }>;

// Flights running in this process, per store: concurrent requests of one process share one lock
// wait and one fetch instead of queueing on the lock one after the other.
const running = new WeakMap<PartitionedStore, Map<string, Flight>>();

// The lock lives under its own key, never the partition's: `fetch` saves into the partition, which
// takes the partition's lock, and must not wait for the lock its own flight holds. NUL keeps the
// flight keys apart from any key an app derives from ids, hashes and names.
const flightKey = (key: string) => `\u0000single-flight\u0000${key}`;

const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/**
 * At most one token request per `key` at a time across every process sharing `store`: the first
 * caller takes the store's lock for the key, looks in the cache again (another process may have
 * just fetched), and fetches only if it is still missing; the others wait for the lock and are
 * served by their own `lookup`. Callers in the same process passing the same `store` object join
 * the running flight instead of queueing, and share its outcome, a failed fetch too. A holder that
 * dies mid-fetch blocks the others no longer than the lock's stale rules allow (a dead pid on this
 * host at once; a lease elsewhere); then the next waiter fetches.
 *
 * @example
 * ```ts
 * const { value, source } = await singleFlight({
 *   store,
 *   key: `${partitionKey}\n${[...scopes].sort().join(' ')}`,
 *   lookup: () => tokenFromCache(app, account, scopes), // no network
 *   fetch: () => app.acquireTokenSilent({ account, scopes, forceRefresh: true }),
 * });
 * ```
 */
export async function singleFlight<T>(options: SingleFlightOptions<T>): Promise<SingleFlightResult<T>> {
  const { store, key, lookup, signal } = options;
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('singleFlight needs a non-empty key: the partition key and the scopes.');
  }
  const lockTimeoutMs = checkNumberOption('lockTimeoutMs', options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, { min: 0 });
  throwIfAborted(signal, store.name);

  const cached = await lookup();
  if (cached !== undefined) return { value: cached, source: 'cache', joined: false };

  let flights = running.get(store);
  if (flights === undefined) {
    flights = new Map();
    running.set(store, flights);
  }
  const current = flights.get(key);
  if (current !== undefined) {
    const shared = await untilAborted(current, signal, store.name);
    return { value: shared.value as T, source: shared.source, joined: true };
  }
  const flight = fly(options, lockTimeoutMs);
  flights.set(key, flight);
  const forget = () => {
    if (flights.get(key) === flight) flights.delete(key);
  };
  flight.then(forget, forget);
  const own = await untilAborted(flight, signal, store.name);
  return { value: own.value as T, source: own.source, joined: false };
}

async function fly<T>(
  options: SingleFlightOptions<T>,
  timeoutMs: number,
): Promise<{ value: T; source: 'cache' | 'fetch' }> {
  const { store, key, lookup, fetch } = options;
  let handle: LockHandle | undefined;
  try {
    // No caller's signal here: callers that joined this flight still wait for it.
    handle = await store.partition(flightKey(key)).lock.acquire({ timeoutMs });
  } catch (error) {
    if (options.onLockError === 'throw' || isPersistenceError(error, 'Aborted')) throw error;
    // Without the lock: look once more (the holder may have finished as we gave up), then fetch.
  }
  try {
    const found = await lookup();
    if (found !== undefined) return { value: found, source: 'cache' };
    return { value: await fetch(), source: 'fetch' };
  } finally {
    await handle?.release();
  }
}

function abortedError(signal: AbortSignal, backend: string): PersistenceError {
  return new PersistenceError('Aborted', 'Stopped waiting for the token request: the signal aborted.', {
    backend,
    cause: signal.reason,
  });
}

function throwIfAborted(signal: AbortSignal | undefined, backend: string): void {
  if (signal?.aborted) throw abortedError(signal, backend);
}

function untilAborted<V>(promise: Promise<V>, signal: AbortSignal | undefined, backend: string): Promise<V> {
  if (signal === undefined) return promise;
  throwIfAborted(signal, backend);
  return new Promise<V>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal, backend));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
