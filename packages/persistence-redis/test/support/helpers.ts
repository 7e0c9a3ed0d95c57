import { isPersistenceError, type PartitionedStore, type Persistence, type PersistenceError } from '@msal-persist/core';
import { waitFor } from '../servers/processes.js';

/** UTF-8 bytes of `value`. */
export const text = (value: string) => new TextEncoder().encode(value);

/** `bytes` as UTF-8 text ('' for null). */
export const decode = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes ?? undefined);

/** What `promise` rejected with, or `undefined` when it resolved. */
export const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** The PersistenceError behind what msal rejected with (msal may wrap what a plugin throws). */
export function persistenceErrorIn(error: unknown): PersistenceError | undefined {
  for (let current = error; current; current = (current as { cause?: unknown }).cause) {
    if (isPersistenceError(current)) return current;
  }
  return undefined;
}

/** The partition of a `RedisPersistence` or `RedisLock` (from its keys' hash tag). */
export const partitionOf = (subject: unknown) =>
  (subject as { keys: { cache: string } }).keys.cache.replace(/^.*\{(.*)\}.*$/, '$1');

/** Saves `bytes` into `key`'s partition under the partition's lock, as the cache plugin does. */
export async function saveLocked(store: PartitionedStore, key: string, bytes: Uint8Array): Promise<void> {
  const { persistence, lock } = store.partition(key);
  const handle = await lock.acquire({ timeoutMs: 5_000 });
  try {
    await persistence.save(bytes);
  } finally {
    await handle.release();
  }
}

/** Waits until `persistence` answers its stamp from memory (no round trip) with `version`. */
export async function stampFromMemory(persistence: Persistence, version: string): Promise<void> {
  await waitFor('a stamp from memory', async () => {
    const stamp = persistence.stamp();
    if (typeof stamp === 'string') return stamp === version;
    await stamp;
    return false;
  });
}
