// Issue 16, case 12: a key of this cache holding another type (someone's list at the cache key, a
// hash at the lock key, a word in a counter) failed every call with WRONGTYPE, forever. Such a key
// is now what an unreadable blob is: Corrupt, moved aside, and the cache goes on.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache, type RedisCache } from '../src/index.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { daemonApp, storedSecrets } from './support/daemon-app.js';

let server: RedisServer;
let admin: Redis;
const caches: RedisCache[] = [];
beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  for (const cache of caches) await cache.close();
  admin?.disconnect();
  await server?.stop();
});

async function cache() {
  const created = await createRedisCache({ url: server.url, partition: randomUUID() });
  caches.push(created);
  return created;
}

const asideOf = async (key: string) => admin.keys(`${key}.corrupt-*`);

describe('a key of another type', () => {
  it('at the cache key: the call warns, keeps the value aside, and stores its token; the next call is served from the cache', async () => {
    const redis = await cache();
    await admin.rpush(redis.persistence.keys.cache, 'someone else’s list');
    const warnings: string[] = [];
    const { token, idp } = daemonApp(redis, { logger: { warn: (m) => warnings.push(m) } });

    const first = await token('api://wrong-type/.default');
    expect(warnings.join('\n')).toMatch(/cannot be read .*another type/);
    const [aside, ...more] = await asideOf(redis.persistence.keys.cache);
    expect(more).toEqual([]);
    expect(await admin.lrange(aside ?? '', 0, -1)).toEqual(['someone else’s list']);
    expect(await admin.pttl(aside ?? '')).toBeGreaterThan(0);
    expect(storedSecrets(await redis.persistence.load())).toEqual(new Set([first.accessToken]));

    const again = await token('api://wrong-type/.default');
    expect(again.fromCache).toBe(true);
    expect(idp.calls.total).toBe(1);
  });

  it('at the lock key: the lock is taken, the foreign value kept aside', async () => {
    const redis = await cache();
    await admin.hset(redis.lock.keys.lock, 'not', 'a lock');
    const { token } = daemonApp(redis, { lockTimeoutMs: 2_000 });
    const result = await token('api://wrong-type-lock/.default');
    expect(storedSecrets(await redis.persistence.load())).toEqual(new Set([result.accessToken]));
    expect(await asideOf(redis.lock.keys.lock)).toHaveLength(1);
  });

  it('in the counters: a word in the fencing counter, a set as the version counter', async () => {
    const redis = await cache();
    await admin.set(redis.lock.keys.fence, 'not a number');
    await admin.sadd(redis.lock.keys.seq, 'member');
    const { token } = daemonApp(redis, { lockTimeoutMs: 2_000 });
    const result = await token('api://wrong-type-counters/.default');
    expect(storedSecrets(await redis.persistence.load())).toEqual(new Set([result.accessToken]));
    expect(await asideOf(redis.lock.keys.fence)).toHaveLength(1);
    expect(await asideOf(redis.lock.keys.seq)).toHaveLength(1);
  });

  it('a lost fencing counter no longer refuses every later write', async () => {
    const redis = await cache();
    const { token } = daemonApp(redis, { lockTimeoutMs: 2_000 });
    await token('api://lost-counter-1/.default');
    await token('api://lost-counter-2/.default');
    // Evicted, flushed by hand, or missed by the replica a failover promoted: it restarts at 1,
    // below the fencing token stored with the last write.
    await admin.del(redis.lock.keys.fence);
    const third = await token('api://lost-counter-3/.default');
    expect(storedSecrets(await redis.persistence.load()).has(third.accessToken)).toBe(true);
  });
});
