// Issue 16, case 12: a key of this cache holding another type (someone's list at the cache key, a
// hash at the lock key, a word in a counter) failed every call with WRONGTYPE, forever. Such a key
// is now what an unreadable blob is: Corrupt, moved aside, and the cache goes on.
import { describe, expect, it } from 'vitest';
import { daemonApp, storedSecrets } from './support/daemon-app.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

const asideOf = async (key: string) => redis.admin.keys(`${key}.corrupt-*`);

describe('a key of another type', () => {
  it('at the cache key: the call warns, keeps the value aside, and stores its token; the next call is served from the cache', async () => {
    const cache = await redis.cache();
    await redis.admin.rpush(cache.persistence.keys.cache, 'someone else’s list');
    const warnings: string[] = [];
    const { token, idp } = daemonApp(cache, { logger: { warn: (m) => warnings.push(m) } });

    const first = await token('api://wrong-type/.default');
    expect(warnings.join('\n')).toMatch(/cannot be read .*another type/);
    const [aside, ...more] = await asideOf(cache.persistence.keys.cache);
    expect(more).toEqual([]);
    expect(await redis.admin.lrange(aside ?? '', 0, -1)).toEqual(['someone else’s list']);
    expect(await redis.admin.pttl(aside ?? '')).toBeGreaterThan(0);
    expect(storedSecrets(await cache.persistence.load())).toEqual(new Set([first.accessToken]));

    const again = await token('api://wrong-type/.default');
    expect(again.fromCache).toBe(true);
    expect(idp.calls.total).toBe(1);
  });

  it('at the lock key: the lock is taken, the foreign value kept aside', async () => {
    const cache = await redis.cache();
    await redis.admin.hset(cache.lock.keys.lock, 'not', 'a lock');
    const { token } = daemonApp(cache, { lockTimeoutMs: 2_000 });
    const result = await token('api://wrong-type-lock/.default');
    expect(storedSecrets(await cache.persistence.load())).toEqual(new Set([result.accessToken]));
    expect(await asideOf(cache.lock.keys.lock)).toHaveLength(1);
  });

  it('in the counters: a word in the fencing counter, a set as the version counter', async () => {
    const cache = await redis.cache();
    await redis.admin.set(cache.lock.keys.fence, 'not a number');
    await redis.admin.sadd(cache.lock.keys.seq, 'member');
    const { token } = daemonApp(cache, { lockTimeoutMs: 2_000 });
    const result = await token('api://wrong-type-counters/.default');
    expect(storedSecrets(await cache.persistence.load())).toEqual(new Set([result.accessToken]));
    expect(await asideOf(cache.lock.keys.fence)).toHaveLength(1);
    expect(await asideOf(cache.lock.keys.seq)).toHaveLength(1);
  });

  it('a lost fencing counter no longer refuses every later write', async () => {
    const cache = await redis.cache();
    const { token } = daemonApp(cache, { lockTimeoutMs: 2_000 });
    await token('api://lost-counter-1/.default');
    await token('api://lost-counter-2/.default');
    // Evicted, flushed by hand, or missed by the replica a failover promoted: it restarts at 1,
    // below the fencing token stored with the last write.
    await redis.admin.del(cache.lock.keys.fence);
    const third = await token('api://lost-counter-3/.default');
    expect(storedSecrets(await cache.persistence.load()).has(third.accessToken)).toBe(true);
  });
});
