// Redis down, by choice: redis-server is killed (or frozen) mid-run under real msal-node, a new
// app per request on a partition of the store. fail-closed rejects with a typed error; fail-open
// serves the L1 copy, or lets msal ask the identity provider and keeps the result in memory. In
// both, the circuit breaker stops sending commands after `failureThreshold` failures: what is
// asserted is how many calls reached Redis, never how long anything took.
import { randomUUID } from 'node:crypto';
import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { createRedisPartitionedStore, partitionKeys, type RedisPartitionedStore } from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { daemonApp } from './support/daemon-app.js';
import { failure, persistenceErrorIn, text } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

/** One request: a new msal app bound to `tenant`'s partition, asking for a client-credential token. */
async function request(store: RedisPartitionedStore, tenant: string) {
  const app = daemonApp(store.partition(`app:${tenant}`), { clientId: 'aaaaaaaa-0000-4000-8000-0000000d4e40' });
  const result = await app.token('https://graph.example/.default');
  return { fromCache: result.fromCache, idpCalls: app.idp.calls.total };
}

async function withServerDown<T>(run: () => Promise<T>): Promise<T> {
  await redis.server.kill();
  try {
    return await run();
  } finally {
    await redis.server.start();
  }
}

describe('RedisPartitionedStore while Redis is unavailable', () => {
  it('fail-closed: typed errors; after failureThreshold failures no call reaches Redis; back when it is', async () => {
    const store = redis.closeLater(
      await createRedisPartitionedStore({
        url: redis.server.url,
        prefix: `closed-${randomUUID()}`,
        onUnavailable: 'fail-closed',
        breaker: { failureThreshold: 3, openMs: 500 },
      }),
    );
    expect((await request(store, 'warm')).fromCache).toBe(false);

    const codes = await withServerDown(async () => {
      const seen: string[] = [];
      // A cold partition first: the first call to meet the dead server is what tells this process.
      for (let i = 0; i < 10; i++) {
        const error = persistenceErrorIn(await failure(request(store, i % 2 === 0 ? `cold-${i}` : 'warm')));
        seen.push(error?.code ?? 'no error');
      }
      return seen;
    });
    expect(codes).toEqual(Array(10).fill('NotAvailable'));
    const down = store.stats();
    // Exactly failureThreshold calls tried Redis; every later one was refused at once.
    expect(down.redis.unavailable).toBe(3);
    expect(down.breaker.opened).toBe(1);
    expect(down.breaker.shortCircuited).toBeGreaterThanOrEqual(7);

    // Back: after openMs one probe goes through, and it closes the circuit.
    await waitFor('a token call to succeed again', async () => !(await failure(request(store, 'after'))), 20_000);
    expect(store.stats().breaker.state).toBe('closed');
    expect((await request(store, 'after')).fromCache).toBe(true);
  }, 60_000);

  it('fail-open: the L1 copy serves its partition; others go to the identity provider once and stay in memory', async () => {
    const prefix = `open-${randomUUID()}`;
    const store = redis.closeLater(
      await createRedisPartitionedStore({
        url: redis.server.url,
        prefix,
        onUnavailable: 'fail-open',
        breaker: { failureThreshold: 3, openMs: 600_000 },
      }),
    );
    expect((await request(store, 'warm')).fromCache).toBe(false);

    const results = await withServerDown(async () => {
      const warm = [];
      for (let i = 0; i < 5; i++) warm.push(await request(store, 'warm'));
      const cold = [await request(store, 'cold'), await request(store, 'cold'), await request(store, 'cold')];
      return { warm, cold, stats: store.stats() };
    });
    // The warm tenant's token came from the L1, with no call to the identity provider.
    expect(results.warm).toEqual(Array(5).fill({ fromCache: true, idpCalls: 0 }));
    // The cold one: fetched once, then served from memory.
    expect(results.cold).toEqual([
      { fromCache: false, idpCalls: 1 },
      { fromCache: true, idpCalls: 0 },
      { fromCache: true, idpCalls: 0 },
    ]);
    const { redis: calls, breaker, failOpen, lock } = results.stats;
    expect(calls.unavailable).toBe(3);
    expect(breaker.state).toBe('open');
    expect(failOpen.keptInMemory).toBe(1);
    expect(failOpen.servedFromMemory).toBeGreaterThan(0);
    expect(lock.inMemoryOnly).toBe(1);
    // Nothing reached the restarted server: the memory-only save stayed in memory.
    expect(await redis.admin.exists(partitionKeys(prefix, 'app:cold').cache)).toBe(0);
  }, 60_000);

  it('a frozen server (SIGSTOP) costs a command timeout failureThreshold times, then nothing', async () => {
    const store = redis.closeLater(
      await createRedisPartitionedStore({
        url: redis.server.url,
        prefix: `frozen-${randomUUID()}`,
        commandTimeoutMs: 300,
        onUnavailable: 'fail-closed',
        breaker: { failureThreshold: 2, openMs: 600_000 },
      }),
    );
    await store.partition('probe').persistence.save(text('{}'));
    redis.server.pause();
    const codes: string[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const error = await failure(store.partition(`user-${i}`).persistence.load());
        codes.push(isPersistenceError(error) ? error.code : 'no error');
      }
    } finally {
      redis.server.resume();
    }
    expect(codes).toEqual(['Timeout', 'Timeout', ...Array(6).fill('NotAvailable')]);
    expect(store.stats().redis.unavailable).toBe(2);
    expect(store.stats().breaker.shortCircuited).toBe(6);
  }, 30_000);

  it('a delete (sign-out) never fails open: Redis would bring the tokens back', async () => {
    const store = redis.closeLater(
      await createRedisPartitionedStore({
        url: redis.server.url,
        prefix: `signout-${randomUUID()}`,
        onUnavailable: 'fail-open',
      }),
    );
    await store.partition('user').persistence.save(text('{"tokens":1}'));
    const error = await withServerDown(() => failure(store.partition('user').persistence.delete()));
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
  }, 30_000);
});
