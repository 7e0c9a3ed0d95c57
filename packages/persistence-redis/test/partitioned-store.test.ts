// The Redis partitioned store on one real redis-server: the core contract (with a second store as
// the other process), then what is special to it: one connection and one subscription whatever
// the number of partitions, hashed keys sharing one hash tag per partition, and the L1 serving
// current partitions with no command at all.
import { randomUUID } from 'node:crypto';
import { errorSurface, partitionedStoreContract } from '@msal-persist/core/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisPartitionedStore, partitionKeys, type RedisPartitionedStore } from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { startRedisServer } from './servers/redis-server.js';
import { expectHeldPartitionsRevalidated } from './support/background-revalidation.js';
import { monitorCommands } from './support/command-monitor.js';
import { decode, stampFromMemory, text } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();
const prefixOf = new WeakMap<object, string>();

// With the L1 on (the default), one store instance: everything a single process relies on.
partitionedStoreContract(
  'RedisPartitionedStore',
  async () => createRedisPartitionedStore({ url: redis.server.url, prefix: `contract-${randomUUID()}` }),
  { isEncrypted: false },
);

// A second instance (another process) sees a write once its notification arrives: microseconds,
// but after the writer's reply, while the contract reads the peer right after that reply, in the
// same event-loop turn. maxStalenessMs: 0 makes every read a round trip, which gives exactly that
// read-after-write order; the notification-fed L1 is tested below and across processes in
// partitioned-store-processes.test.ts.
partitionedStoreContract(
  'RedisPartitionedStore, maxStalenessMs 0, with a second store as the other process',
  async () => {
    const prefix = `contract-${randomUUID()}`;
    const store = await createRedisPartitionedStore({ url: redis.server.url, prefix, maxStalenessMs: 0 });
    prefixOf.set(store, prefix);
    return store;
  },
  {
    peer: async (store) => {
      const prefix = prefixOf.get(store) ?? '';
      const peer = await createRedisPartitionedStore({ url: redis.server.url, prefix, maxStalenessMs: 0 });
      prefixOf.set(peer, prefix);
      return peer;
    },
    isEncrypted: false,
    manyPartitions: 200,
  },
);

/** Clients connected to the server now, by name ('' for unnamed), the admin client left out. */
async function clients(): Promise<string[]> {
  const adminId = await redis.admin.client('ID');
  const list = (await redis.admin.client('LIST')) as string;
  return list
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith(`id=${adminId} `))
    .map((line) => /\bname=(\S*)/.exec(line)?.[1] ?? '');
}

/** Sum of the calls of every command the server ran, INFO and CLIENT (the test's own probes) and heartbeat PUBLISHes left out. */
async function commandCalls(): Promise<number> {
  const stats = await redis.admin.info('commandstats');
  let calls = 0;
  for (const [, name, count] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info' && name !== 'publish' && !name?.startsWith('client')) calls += Number(count);
  }
  return calls;
}

async function openStore(
  prefix: string,
  options: {
    l1MaxBytes?: number;
    maxStalenessMs?: number;
    revalidateAfterMs?: number;
    backgroundRevalidation?: boolean;
  } = {},
): Promise<RedisPartitionedStore> {
  return redis.closeLater(await createRedisPartitionedStore({ url: redis.server.url, prefix, ...options }));
}

describe('RedisPartitionedStore on one server', () => {
  it('serves 2,000 partitions over one connection and one subscribed channel', async () => {
    const prefix = `one-connection-${randomUUID()}`;
    const before = await clients();
    const store = await openStore(prefix);
    const users = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
    for (let i = 0; i < users.length; i += 100) {
      await Promise.all(
        users.slice(i, i + 100).map(async (user) => {
          const { persistence, lock } = store.partition(user);
          const handle = await lock.acquire({ timeoutMs: 5_000 });
          try {
            await persistence.save(text(`{"user":"${user}"}`));
          } finally {
            await handle.release();
          }
        }),
      );
    }
    for (const user of ['user-0', 'user-999', 'user-1999'])
      expect(decode(await store.partition(user).persistence.load())).toBe(`{"user":"${user}"}`);

    const now = await clients();
    // Two sockets: the commands' and the subscriber's (a subscribed connection can run nothing else).
    expect(now.length - before.length).toBe(2);
    expect(now.filter((name) => name === 'msal-persist:invalidations').length).toBe(
      before.filter((name) => name === 'msal-persist:invalidations').length + 1,
    );
    const channels = (await redis.admin.pubsub('CHANNELS', `${prefix}:*`)) as string[];
    expect(channels).toEqual([`${prefix}:p:changed`]);
    const [, subscribers] = (await redis.admin.pubsub('NUMSUB', `${prefix}:p:changed`)) as [string, number];
    expect(Number(subscribers)).toBe(1);
    expect(store.stats().subscription).toEqual({ channels: 1, watches: 2_000 });
  });

  it('names Redis keys after a hash of the partition key, with one hash tag per partition', async () => {
    const prefix = `hashed-${randomUUID()}`;
    const store = await openStore(prefix);
    const key = 'user:RawKey-Marker-3141';
    const { persistence, lock } = store.partition(key);
    const handle = await lock.acquire({ timeoutMs: 5_000 });
    await persistence.save(text('{}'));
    await handle.release();
    const stored = await redis.admin.keys(`${prefix}:*`);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.join(' ')).not.toContain('RawKey-Marker');
    const { member } = partitionKeys(prefix, key);
    expect(member).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // cache, version counter and fencing counter: one slot, so one script can touch them all.
    expect(stored.sort()).toEqual(
      [`${prefix}:p:{${member}}:cache`, `${prefix}:p:{${member}}:fence`, `${prefix}:p:{${member}}:seq`].sort(),
    );
  });

  it('keySecret names partitions by HMAC: without the secret a guessed key names nothing stored', async () => {
    const prefix = `hmac-${randomUUID()}`;
    const secret = 'fleet-secret-0f9a';
    const store = redis.closeLater(
      await createRedisPartitionedStore({ url: redis.server.url, prefix, keySecret: secret }),
    );
    await store.partition('user:guessable').persistence.save(text('{}'));
    expect(await redis.admin.exists(partitionKeys(prefix, 'user:guessable').cache)).toBe(0);
    expect(await redis.admin.exists(partitionKeys(prefix, 'user:guessable', secret).cache)).toBe(1);
    // Another process with the same secret finds it; the store shows the secret nowhere.
    const peer = redis.closeLater(
      await createRedisPartitionedStore({ url: redis.server.url, prefix, keySecret: secret }),
    );
    expect(decode(await peer.partition('user:guessable').persistence.load())).toBe('{}');
    expect(errorSurface(store)).not.toContain(secret);
    await expect(createRedisPartitionedStore({ url: redis.server.url, keySecret: '' })).rejects.toThrow(TypeError);
  });

  it('serves a partition the notifications prove current from memory: 1,000 reads, no command', async () => {
    const prefix = `l1-${randomUUID()}`;
    const writer = await openStore(prefix);
    const reader = await openStore(prefix);
    const { persistence } = reader.partition('user-l1');
    const saved = await writer.partition('user-l1').persistence.save(text('{"v":1}'));
    // Subscribed and settled: the stamp comes from memory (a string, not a promise).
    await waitFor('the reader to know the version from memory', async () => {
      const stamp = persistence.stamp();
      if (typeof stamp === 'string') return stamp === saved;
      await stamp;
      return false;
    });
    expect(decode(await persistence.load())).toBe('{"v":1}');

    const before = await commandCalls();
    const hitsBefore = reader.stats().l1.hits;
    for (let i = 0; i < 1_000; i++) {
      expect(persistence.stamp()).toBe(saved);
      expect(decode(await persistence.load())).toBe('{"v":1}');
    }
    expect(await commandCalls()).toBe(before);
    expect(reader.stats().l1.hits - hitsBefore).toBe(1_000);

    // A write elsewhere reaches the reader by its message: its next read asks Redis once, then memory again.
    const again = await writer.partition('user-l1').persistence.save(text('{"v":2}'));
    await waitFor('the message', () => persistence.stamp() === again);
    expect(decode(await persistence.load())).toBe('{"v":2}');
    const after = await commandCalls();
    expect(decode(await persistence.load())).toBe('{"v":2}');
    expect(await commandCalls()).toBe(after);
  });

  it('under the lock a load never returns the L1 copy of an older version, even when the message was lost', async () => {
    const prefix = `under-lock-${randomUUID()}`;
    const store = await openStore(prefix);
    const { persistence, lock } = store.partition('user-lock');
    const saved = await persistence.save(text('{"v":1}'));
    expect(decode(await persistence.load())).toBe('{"v":1}');
    await waitFor('a stamp from memory (subscribed)', async () => {
      const stamp = persistence.stamp();
      if (typeof stamp === 'string') return stamp === saved;
      await stamp;
      return false;
    });
    // Another writer's save whose message never arrives: written straight into the hash.
    const { cache } = partitionKeys(prefix, 'user-lock');
    await redis.admin.hset(cache, 'd', '{"v":2}', 'v', 'written-without-message');
    const handle = await lock.acquire({ timeoutMs: 5_000 });
    try {
      // The lock read the version: the stamp moved, and the copy of {"v":1} must not be served.
      expect(persistence.stamp()).toBe('written-without-message');
      expect(decode(await persistence.load())).toBe('{"v":2}');
    } finally {
      await handle.release();
    }
  });

  it('stats(): hits and misses per layer, bytes read and written, lock waits here and in another process', async () => {
    const prefix = `stats-${randomUUID()}`;
    const store = await openStore(prefix);
    const other = await openStore(prefix);
    const { persistence, lock } = store.partition('user-stats');
    // Two requests of this process for one user: the second waits in memory for the first.
    const first = await lock.acquire({ timeoutMs: 5_000 });
    const second = lock.acquire({ timeoutMs: 5_000 });
    await persistence.save(text('12345'));
    await first.release();
    await (await second).release();
    // Another process holds the lock: this one waits in Redis.
    const held = await other.partition('user-stats').lock.acquire({ timeoutMs: 5_000 });
    const third = lock.acquire({ timeoutMs: 5_000 });
    await waitFor('the third acquisition to find the lock taken', () => store.stats().lock.waited === 2);
    await held.release();
    await (await third).release();

    expect(decode(await other.partition('user-stats').persistence.load())).toBe('12345');
    expect(await other.partition('nobody').persistence.load()).toBeNull();
    const mine = store.stats();
    expect(mine.lock).toMatchObject({ acquired: 3, waited: 2, timeouts: 0, inMemoryOnly: 0 });
    expect(mine.redis).toMatchObject({ writes: 1, bytesWritten: 5, unavailable: 0 });
    const theirs = other.stats();
    expect(theirs.redis).toMatchObject({ reads: 2, hits: 1, misses: 1, bytesRead: 5 });
    expect(theirs.l1).toMatchObject({ hits: 0, misses: 2, entries: 2 });
    expect(decode(await other.partition('user-stats').persistence.load())).toBe('12345');
    expect(other.stats().l1.hits + other.stats().redis.unchanged).toBe(1);
    expect(mine.breaker).toEqual({ state: 'closed', opened: 0, shortCircuited: 0 });
  });

  it('heartbeats prove the subscription: copies older than maxStalenessMs still cost no read; revalidateAfterMs bounds a hand edit', async () => {
    const prefix = `heartbeat-${randomUUID()}`;
    // Without the background re-checks: the window below must see no command but heartbeats.
    const store = await openStore(prefix, {
      maxStalenessMs: 100,
      revalidateAfterMs: 1_500,
      backgroundRevalidation: false,
    });
    const { persistence } = store.partition('user-beat');
    const saved = await persistence.save(text('{"v":1}'));
    await stampFromMemory(persistence, saved);
    const monitor = await monitorCommands(redis.server.url);
    try {
      // Ten staleness bounds later, still served from memory: the heartbeats kept proving delivery.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (let i = 0; i < 100; i++) {
        expect(persistence.stamp()).toBe(saved);
        expect(decode(await persistence.load())).toBe('{"v":1}');
      }
      await monitor.settled();
      expect(monitor.commands.filter((name) => name !== 'publish')).toEqual([]);
      expect(monitor.commands.length).toBeGreaterThan(0);
    } finally {
      await monitor.stop();
    }
    // A change that publishes nothing is seen once the copy is revalidateAfterMs old.
    await redis.admin.hset(partitionKeys(prefix, 'user-beat').cache, 'd', '{"v":2}', 'v', 'hand-edit');
    await waitFor('the hand edit', async () => (await persistence.stamp()) === 'hand-edit', 10_000);
    expect(decode(await persistence.load())).toBe('{"v":2}');
  });

  it('held partitions stay trusted past revalidateAfterMs with no round trip on the request path, and a hand edit is seen by the background re-check', async () => {
    const prefix = `revalidate-${randomUUID()}`;
    const store = await openStore(prefix, { maxStalenessMs: 100, revalidateAfterMs: 600 });
    await expectHeldPartitionsRevalidated(store, prefix, async (cacheKey) => {
      await redis.admin.hset(cacheKey, 'd', '{"v":2}', 'v', 'hand-edit');
    });
  });

  it('a server that refuses a script over several slots (CROSSSLOT): one failed round, then the re-check reads each partition', async () => {
    // A cluster-enabled server owning every slot, reached as one server: what a sharding proxy does.
    const server = await startRedisServer({ args: ['--cluster-enabled', 'yes'] });
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      await admin.cluster('ADDSLOTSRANGE', 0, 16383);
      await waitFor('cluster_state:ok', async () => (await admin.cluster('INFO')).includes('cluster_state:ok'));
      const prefix = `crossslot-${randomUUID()}`;
      const store = await createRedisPartitionedStore({
        url: server.url,
        prefix,
        maxStalenessMs: 100,
        revalidateAfterMs: 600,
      });
      try {
        await expectHeldPartitionsRevalidated(store, prefix, async (cacheKey) => {
          await admin.hset(cacheKey, 'd', '{"v":2}', 'v', 'hand-edit');
        });
        expect(store.stats().redis.revalidationFailures).toBe(1);
      } finally {
        await store.close();
      }
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });

  it('a partition nobody asked for in 10 x revalidateAfterMs is no longer re-checked: its next read makes the round trip', async () => {
    const prefix = `idle-${randomUUID()}`;
    const store = await openStore(prefix, { maxStalenessMs: 100, revalidateAfterMs: 200 });
    const { persistence } = store.partition('user-gone');
    const saved = await persistence.save(text('{"v":1}'));
    await stampFromMemory(persistence, saved);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(800);
    expect(store.stats().redis.revalidations).toBeGreaterThan(0);
    // 2 s (10 x revalidateAfterMs) without a read, and more: the re-checks have stopped.
    await sleep(2_700);
    const stopped = store.stats().redis.revalidations;
    await sleep(800);
    expect(store.stats().redis.revalidations).toBe(stopped);
    const stamp = persistence.stamp();
    expect(stamp).toBeInstanceOf(Promise);
    expect(await stamp).toBe(saved);
  });

  it("backgroundRevalidation must be a boolean (the string 'false' is refused, not taken as on)", async () => {
    const options = { url: redis.server.url, backgroundRevalidation: 'false' as unknown as boolean };
    await expect(createRedisPartitionedStore(options)).rejects.toThrow(/backgroundRevalidation must be true or false/);
  });

  it('backgroundRevalidation false: a partition whose check is revalidateAfterMs old costs a round trip at its next read', async () => {
    const prefix = `no-revalidate-${randomUUID()}`;
    const store = await openStore(prefix, {
      maxStalenessMs: 100,
      revalidateAfterMs: 600,
      backgroundRevalidation: false,
    });
    const { persistence } = store.partition('user-idle');
    const saved = await persistence.save(text('{"v":1}'));
    await stampFromMemory(persistence, saved);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stamp = persistence.stamp();
    expect(stamp).toBeInstanceOf(Promise);
    expect(await stamp).toBe(saved);
    expect(store.stats().redis.revalidations).toBe(0);
  });

  it('works for an ACL user limited to the prefix, as the README recommends, L1 included', async () => {
    const prefix = `acl-${randomUUID()}`;
    await redis.admin.acl(
      'SETUSER',
      `store-${prefix}`,
      'on',
      '>pw',
      `~${prefix}:*`,
      `&${prefix}:*`,
      '+@read',
      '+@write',
      '+@scripting',
      '+@pubsub',
      '+@connection',
      '+info',
      '+wait',
    );
    const url = `redis://store-${prefix}:pw@127.0.0.1:${redis.server.port}`;
    const store = redis.closeLater(await createRedisPartitionedStore({ url, prefix }));
    const { persistence, lock } = store.partition('user-acl');
    const handle = await lock.acquire({ timeoutMs: 5_000 });
    const saved = await persistence.save(text('{"acl":1}'));
    await handle.release();
    await waitFor('a stamp from memory (the channel is allowed)', async () => {
      const stamp = persistence.stamp();
      if (typeof stamp === 'string') return stamp === saved;
      await stamp;
      return false;
    });
    expect(decode(await persistence.load())).toBe('{"acl":1}');
    expect(store.stats().redis.unavailable).toBe(0);
  });

  it('keeps the L1 within l1MaxBytes, evicting least recently used partitions and their watches', async () => {
    const prefix = `lru-${randomUUID()}`;
    const store = await openStore(prefix, { l1MaxBytes: 64 * 1024 });
    const payload = 'x'.repeat(4 * 1024);
    for (let i = 0; i < 100; i++) await store.partition(`user-${i}`).persistence.save(text(payload));
    const { l1, subscription } = store.stats();
    expect(l1.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(l1.evictions).toBeGreaterThan(0);
    expect(subscription.watches).toBe(l1.entries);
    // Evicted partitions still read correctly, from Redis.
    expect(decode(await store.partition('user-0').persistence.load())).toBe(payload);
  });

  it('l1MaxBytes 0 keeps no copies, and a partition in use is never evicted from under its lock', async () => {
    const prefix = `no-l1-${randomUUID()}`;
    const store = await openStore(prefix, { l1MaxBytes: 0 });
    const held = await store.partition('user-a').lock.acquire({ timeoutMs: 5_000 });
    // Other partitions come and go meanwhile; user-a's entry, held, stays: its next waiter queues in memory.
    for (let i = 0; i < 20; i++) await store.partition(`other-${i}`).persistence.save(text('{}'));
    const waiter = store.partition('user-a').lock.acquire({ timeoutMs: 5_000 });
    expect(store.stats().lock.waited).toBe(1);
    await held.release();
    await (await waiter).release();
    const { l1 } = store.stats();
    expect(l1.hits).toBe(0);
    // No copies: only the entries themselves are charged, the held one and the one in use.
    expect(l1.entries).toBeLessThanOrEqual(2);
  });
});
