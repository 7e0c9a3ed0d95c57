// After close(), a store is gone, not down: every call on its partitions (or on a createRedisCache
// pair) rejects with NotAvailable saying it was closed. fail-open must not mistake that for an
// outage and answer from memory, and a caller's own client, left open by close(), must not be used.
import { randomUUID } from 'node:crypto';
import { isPersistenceError, type Lock, type Persistence } from '@msal-persist/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  createRedisCache,
  createRedisPartitionedStore,
  partitionKeys,
  type RedisPartitionedStore,
} from '../src/index.js';
import { decode, failure, text } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

/** What each call on `pair` rejected with after close: its code and whether it says the store was closed. */
async function callsAfterClose(pair: { persistence: Persistence; lock: Lock }) {
  const calls = {
    stamp: () => Promise.resolve().then(() => pair.persistence.stamp()),
    load: () => pair.persistence.load(),
    save: () => pair.persistence.save(text('{"after":"close"}')),
    lock: () => pair.lock.acquire({ timeoutMs: 1_000 }),
  };
  const outcome: Record<string, string> = {};
  for (const [name, call] of Object.entries(calls)) {
    const error = await failure(call());
    outcome[name] = !isPersistenceError(error)
      ? `resolved or untyped: ${String(error)}`
      : `${error.code}${/was closed \(close\(\)\); create a new one/.test(error.message) ? ', closed' : ''}`;
  }
  return outcome;
}

const REJECTED_AS_CLOSED = {
  stamp: 'NotAvailable, closed',
  load: 'NotAvailable, closed',
  save: 'NotAvailable, closed',
  lock: 'NotAvailable, closed',
};

async function warm(store: RedisPartitionedStore, key: string): Promise<void> {
  const { persistence, lock } = store.partition(key);
  const handle = await lock.acquire({ timeoutMs: 5_000 });
  try {
    await persistence.save(text('{"before":"close"}'));
  } finally {
    await handle.release();
  }
  // A current L1 copy: the memory fail-open would serve from.
  expect(decode(await persistence.load())).toBe('{"before":"close"}');
}

describe('after close()', () => {
  it.each(['fail-open', 'fail-closed'] as const)(
    'a partitioned store (%s) rejects every partition call as closed and serves nothing from memory',
    async (onUnavailable) => {
      const prefix = `closed-${randomUUID()}`;
      const store = await createRedisPartitionedStore({ url: redis.server.url, prefix, onUnavailable });
      await warm(store, 'user');
      const before = store.stats().failOpen;
      await store.close();

      expect(await callsAfterClose(store.partition('user'))).toEqual(REJECTED_AS_CLOSED);
      expect(await callsAfterClose(store.partition('never-seen'))).toEqual(REJECTED_AS_CLOSED);
      expect(store.stats().failOpen).toEqual(before);
    },
  );

  it('a partitioned store on a caller-owned client sends nothing more to Redis', async () => {
    const prefix = `closed-own-${randomUUID()}`;
    const client = new Redis(redis.server.url);
    try {
      const store = await createRedisPartitionedStore({ client, prefix, onUnavailable: 'fail-open' });
      await warm(store, 'user');
      await store.close();

      expect(await callsAfterClose(store.partition('user'))).toEqual(REJECTED_AS_CLOSED);
      // The save after close reached nothing: Redis still holds the save made before it.
      expect(String(await redis.admin.hget(partitionKeys(prefix, 'user').cache, 'd'))).toBe('{"before":"close"}');
      expect(client.status).toBe('ready');
    } finally {
      client.disconnect();
    }
  });

  it.each(['fail-open', 'fail-closed'] as const)(
    'a hold taken before close() is released without an error (%s)',
    async (onUnavailable) => {
      const store = await createRedisPartitionedStore({
        url: redis.server.url,
        prefix: `closed-hold-${randomUUID()}`,
        onUnavailable,
      });
      const handle = await store.partition('user').lock.acquire({ timeoutMs: 5_000 });
      await store.close();
      expect(await failure(handle.release())).toBeUndefined();
    },
  );

  it.each([
    ['a client it created', false],
    ['a caller-owned client', true],
  ] as const)('createRedisCache on %s rejects its persistence and lock calls as closed', async (_, own) => {
    const partition = randomUUID();
    const client = own ? new Redis(redis.server.url) : undefined;
    try {
      const cache = await createRedisCache({ ...(client ? { client } : { url: redis.server.url }), partition });
      const handle = await cache.lock.acquire({ timeoutMs: 5_000 });
      await cache.persistence.save(text('{"before":"close"}'));
      await handle.release();
      // A stamp known from the change notifications: what a closed cache must no longer answer with.
      await cache.persistence.stamp();
      await cache.close();

      expect(await callsAfterClose(cache)).toEqual(REJECTED_AS_CLOSED);
      expect(String(await redis.admin.hget(`msal-persist:{${partition}}:cache`, 'd'))).toBe('{"before":"close"}');
    } finally {
      client?.disconnect();
    }
  });
});
