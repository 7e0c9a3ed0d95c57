// A partition's expiry must not depend on the app host's clock agreeing with Redis's: the app
// decides how long a partition lives (its retention), Redis counts it down on its own clock. Here
// the app's Date runs hours ahead of or behind the real redis-server's, and a separate client reads
// the key's PTTL: about the retention, never ~0 (tokens lost, an extra sign-in) or hours too long.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRedisPartitionedStore, partitionKeys } from '../src/index.js';
import { saveLocked, text } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

const HOUR = 3600 * 1000;

afterEach(() => {
  vi.useRealTimers();
});

/** PTTL of the cache hash and both counters of `key`'s partition, read by the admin client. */
async function ttls(prefix: string, key: string): Promise<number[]> {
  const keys = partitionKeys(prefix, key);
  return Promise.all([keys.cache, keys.seq, keys.fence].map((name) => redis.admin.pttl(name)));
}

/** An msal cache holding only an access token that expires at `expiresOnMs` (app clock), as OBO and app tokens do. */
function accessTokenOnly(expiresOnMs: number): Uint8Array {
  const at = {
    credential_type: 'AccessToken',
    secret: 'at-secret',
    expires_on: String(Math.floor(expiresOnMs / 1000)),
  };
  return text(JSON.stringify({ Account: {}, IdToken: {}, AccessToken: { at }, RefreshToken: {}, AppMetadata: {} }));
}

describe('partition expiry with the app clock off from the Redis server clock', () => {
  it.each([
    ['3 hours ahead', 3 * HOUR],
    ['3 hours behind', -3 * HOUR],
  ])('app clock %s: a partition kept 1 hour lives about 1 hour on the server', async (_, skew) => {
    const prefix = `skew-${randomUUID()}`;
    const store = redis.closeLater(
      await createRedisPartitionedStore({ url: redis.server.url, prefix, minRetentionMs: HOUR }),
    );
    // Only Date: timers, performance.now() and the server keep real time.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + skew);

    // Nothing worth keeping: minRetentionMs after the save.
    await saveLocked(store, 'signed-out', text('{}'));
    // An access token that expires 2 hours from now, as the app's clock (and msal) counts.
    await saveLocked(store, 'obo', accessTokenOnly(Date.now() + 2 * HOUR));
    vi.useRealTimers();

    const minute = 60_000;
    for (const ttl of await ttls(prefix, 'signed-out')) {
      expect(ttl).toBeGreaterThan(HOUR - minute);
      expect(ttl).toBeLessThanOrEqual(HOUR);
    }
    for (const ttl of await ttls(prefix, 'obo')) {
      expect(ttl).toBeGreaterThan(2 * HOUR - minute);
      expect(ttl).toBeLessThanOrEqual(2 * HOUR);
    }
  });
});
