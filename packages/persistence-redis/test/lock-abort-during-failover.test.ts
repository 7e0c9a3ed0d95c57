// A lock acquisition waits for a new primary while the one it knows is down (killed, or hung by
// SIGSTOP): its AbortSignal must end that wait with Aborted, as it ends the wait for a lock someone
// else holds. failoverTimeoutMs and the lock timeout are 10 minutes here, so the test finishing
// within vitest's timeout is what shows the abort, not the failover wait, ended the call.
import { randomUUID } from 'node:crypto';
import { isPersistenceError, type Lock } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { createRedisCache, createRedisPartitionedStore } from '../src/index.js';
import { failure } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

const TEN_MINUTES = 10 * 60 * 1000;
const connection = () => ({
  url: redis.server.url,
  failoverTimeoutMs: TEN_MINUTES,
  commandTimeoutMs: 300,
  connectTimeoutMs: 300,
  // A hung server runs the attempt it had received once it resumes, taking the lock for a caller
  // that is gone: its lease frees it, like a crashed holder's.
  leaseMs: 1_000,
});

const outages = {
  killed: { down: () => redis.server.kill(), up: () => redis.server.start() },
  'hung (SIGSTOP)': { down: async () => redis.server.pause(), up: async () => redis.server.resume() },
};

/** Acquires `lock` while the server is down, aborts once the call has waited a while, and returns how it ended. */
async function abortedWhileWaiting(lock: Lock, outage: (typeof outages)[keyof typeof outages]) {
  const controller = new AbortController();
  const reason = new Error('request cancelled');
  await outage.down();
  try {
    let settled = false;
    const acquiring = failure(lock.acquire({ timeoutMs: TEN_MINUTES, signal: controller.signal })).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pendingAtAbort = !settled;
    controller.abort(reason);
    const error = await acquiring;
    return {
      pendingAtAbort,
      code: isPersistenceError(error) ? error.code : `not a PersistenceError: ${String(error)}`,
      causeIsReason: (error as { cause?: unknown } | undefined)?.cause === reason,
    };
  } finally {
    await outage.up();
  }
}

describe('lock.acquire({ signal }) while waiting for a primary', () => {
  it.each(Object.keys(outages) as (keyof typeof outages)[])(
    'createRedisCache, server %s: the abort ends the wait with Aborted',
    async (name) => {
      const cache = redis.closeLater(await createRedisCache({ ...connection(), partition: randomUUID() }));
      expect(await abortedWhileWaiting(cache.lock, outages[name])).toEqual({
        pendingAtAbort: true,
        code: 'Aborted',
        causeIsReason: true,
      });
      // The lock is usable again once the server is back (within a lease, for the hung one).
      await (await cache.lock.acquire({ timeoutMs: 5_000 })).release();
    },
  );

  it.each(Object.keys(outages) as (keyof typeof outages)[])(
    'a partitioned store, server %s: the abort ends the wait with Aborted',
    async (name) => {
      const store = redis.closeLater(
        await createRedisPartitionedStore({ ...connection(), prefix: `abort-${randomUUID()}` }),
      );
      expect(await abortedWhileWaiting(store.partition('user').lock, outages[name])).toEqual({
        pendingAtAbort: true,
        code: 'Aborted',
        causeIsReason: true,
      });
      await (await store.partition('user').lock.acquire({ timeoutMs: 5_000 })).release();
    },
  );
});
