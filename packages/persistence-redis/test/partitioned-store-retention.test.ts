// Bounded storage: every key of a partition expires with what it holds (core's cacheRetention,
// set with PEXPIRE by the write script), so Redis holds the users who are active, not everyone
// ever seen. The expiry times are read back (PEXPIRETIME); the churn run then shows the
// key count following the active users and dropping to nothing once they are gone.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedisPartitionedStore, partitionKeys } from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { saveLocked, text } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

/** A serialized msal cache: a signed-in user's (with a refresh token) or an access token only (OBO, app). */
function msalCache(kind: { refreshToken?: boolean; accessTokenExpiresOn?: number }): Uint8Array {
  const cache = {
    Account: {},
    IdToken: {},
    AccessToken:
      kind.accessTokenExpiresOn === undefined
        ? {}
        : {
            at: { credential_type: 'AccessToken', secret: 'at-secret', expires_on: String(kind.accessTokenExpiresOn) },
          },
    RefreshToken: kind.refreshToken ? { rt: { credential_type: 'RefreshToken', secret: 'rt-secret' } } : {},
    AppMetadata: {},
  };
  return text(JSON.stringify(cache));
}

/** PEXPIRETIME of the cache hash and both counters of `key`'s partition. */
async function expiries(prefix: string, key: string): Promise<number[]> {
  const keys = partitionKeys(prefix, key);
  return Promise.all(
    [keys.cache, keys.seq, keys.fence].map(async (name) => Number(await redis.admin.call('PEXPIRETIME', name))),
  );
}

describe('RedisPartitionedStore, bounded storage', () => {
  it('sets every key of a partition to expire with what it holds', async () => {
    const prefix = `retention-${randomUUID()}`;
    const idle = 3 * 24 * 3600 * 1000;
    const minRetentionMs = 60_000;
    const store = redis.closeLater(
      await createRedisPartitionedStore({ url: redis.server.url, prefix, refreshTokenIdleMs: idle, minRetentionMs }),
    );

    // A signed-in user: sliding, idle time after the save.
    const before = Date.now();
    await saveLocked(
      store,
      'user',
      msalCache({ refreshToken: true, accessTokenExpiresOn: Math.floor(before / 1000) + 3600 }),
    );
    const after = Date.now();
    for (const at of await expiries(prefix, 'user')) {
      expect(at).toBeGreaterThanOrEqual(before + idle);
      expect(at).toBeLessThanOrEqual(after + idle);
    }

    // On-behalf-of / app: with its last access token (a duration computed when the write is sent,
    // so within the time the save took).
    const expiresOn = Math.floor(Date.now() / 1000) + 7200;
    const sent = Date.now();
    await saveLocked(store, 'obo', msalCache({ accessTokenExpiresOn: expiresOn }));
    const saved = Date.now();
    for (const at of await expiries(prefix, 'obo')) {
      expect(at).toBeGreaterThanOrEqual(expiresOn * 1000);
      expect(at).toBeLessThanOrEqual(expiresOn * 1000 + (saved - sent));
    }

    // Nothing worth keeping (an expired token, an emptied cache, a sign-out): minRetentionMs after the write.
    for (const [key, write] of [
      ['expired', () => saveLocked(store, 'expired', msalCache({ accessTokenExpiresOn: 1_000_000 }))],
      ['signed-out', () => store.partition('signed-out').persistence.delete()],
    ] as const) {
      if (key === 'signed-out') await saveLocked(store, key, msalCache({ refreshToken: true }));
      const start = Date.now();
      await write();
      const end = Date.now();
      const [cache] = await expiries(prefix, key);
      expect(cache).toBeGreaterThanOrEqual(start + minRetentionMs);
      expect(cache).toBeLessThanOrEqual(end + minRetentionMs);
    }
  });

  it('a lock taken and released without a write leaves a fencing counter that expires', async () => {
    const prefix = `flight-${randomUUID()}`;
    const store = redis.closeLater(
      await createRedisPartitionedStore({ url: redis.server.url, prefix, leaseMs: 1_000, minRetentionMs: 5_000 }),
    );
    const handle = await store.partition('flight:user:scopes').lock.acquire({ timeoutMs: 5_000 });
    await handle.release();
    const { fence } = partitionKeys(prefix, 'flight:user:scopes');
    const ttl = await redis.admin.pttl(fence);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await redis.admin.keys(`${prefix}:*`)).toEqual([fence]);
  });

  it('churn: 1,000 users come and go; Redis keys follow the active ones, then drop to none', async () => {
    const prefix = `churn-${randomUUID()}`;
    const idle = 1_000;
    const store = redis.closeLater(
      await createRedisPartitionedStore({
        url: redis.server.url,
        prefix,
        refreshTokenIdleMs: idle,
        leaseMs: 200,
        minRetentionMs: 200,
        l1MaxBytes: 1024 * 1024,
      }),
    );
    const waves = 20;
    const perWave = 50;
    const partitionsAlive: number[] = [];
    for (let wave = 0; wave < waves; wave++) {
      await Promise.all(
        Array.from({ length: perWave }, async (_, i) => {
          const user = `user-${wave}-${i}`;
          // A sign-in (refresh token) and, as singleFlight does, a lock on a flight key with no write.
          await saveLocked(store, user, msalCache({ refreshToken: true }));
          await (await store.partition(`flight:${user}`).lock.acquire({ timeoutMs: 5_000 })).release();
        }),
      );
      partitionsAlive.push((await redis.admin.keys(`${prefix}:p:{*}:cache`)).length);
      // Each wave's users are gone after it: nobody saves for them again.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(`partitions stored after each wave of ${perWave} new users: ${partitionsAlive.join(' ')}`);
    // At most the users of the waves within the last `idle` ms: far fewer than the 1,000 seen.
    expect(Math.max(...partitionsAlive)).toBeLessThan((waves * perWave) / 2);
    expect(partitionsAlive.at(-1)).toBeGreaterThanOrEqual(perWave);
    // Once everyone is idle, nothing is left: no cache, counter, fencing counter or lock key.
    await waitFor('every key to expire', async () => (await redis.admin.keys(`${prefix}:*`)).length === 0, 30_000);
    expect(store.stats().redis.writes).toBe(waves * perWave);
  }, 120_000);
});
