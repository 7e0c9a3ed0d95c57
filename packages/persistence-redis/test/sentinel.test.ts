// A real primary + replica + three sentinels on loopback ports: connecting through Sentinel,
// minReplicas against a stopped replica, token calls riding through a SIGKILL of the primary (with
// and without minReplicas, counted), and fencing across a failover that re-grants a lease.
import { randomUUID } from 'node:crypto';
import { isPersistenceError } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisCache,
  type RedisCache,
  type RedisCacheOptions,
  RedisConnection,
  RedisPersistence,
} from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { type SentinelTopology, startSentinelTopology } from './servers/redis-sentinel.js';
import { daemonApp, storedSecrets } from './support/daemon-app.js';
import { decode, failure, partitionOf, persistenceErrorIn, text } from './support/helpers.js';

const through = (topology: SentinelTopology) => ({
  sentinel: { name: topology.name, sentinels: topology.sentinels },
});

/** Waits until the replica has every write the primary has. */
async function replicated(topology: SentinelTopology): Promise<void> {
  const primary = new Redis(topology.primary.port, '127.0.0.1');
  try {
    await primary.wait(1, 5000);
  } finally {
    primary.disconnect();
  }
}

describe('Redis Sentinel', () => {
  let topology: SentinelTopology;
  let connection: RedisConnection;
  const caches: RedisCache[] = [];
  const cache = async (options: RedisCacheOptions = {}) => {
    const created = await createRedisCache({ ...through(topology), ...options });
    caches.push(created);
    return created;
  };
  beforeAll(async () => {
    topology = await startSentinelTopology();
    connection = await RedisConnection.open(through(topology));
  }, 60_000);
  afterAll(async () => {
    for (const created of caches) await created.close();
    await connection?.close();
    await topology?.stop();
  });

  persistenceContract(
    'RedisPersistence through Sentinel',
    () => new RedisPersistence(connection, { partition: randomUUID() }),
    {
      reopen: (p) => new RedisPersistence(connection, { partition: partitionOf(p) }),
    },
  );

  it('names the sentinels in its errors and talks to the primary they name', async () => {
    expect(connection.where).toBe(
      `redis-sentinel://${topology.name}@${topology.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`,
    );
    const persistence = new RedisPersistence(connection, { partition: randomUUID() });
    await persistence.save(text('{"on":"primary"}'));
    const primary = new Redis(topology.primary.port, '127.0.0.1');
    expect(await primary.hget(persistence.keys.cache, 'd')).toBe('{"on":"primary"}');
    primary.disconnect();
  });

  it('minReplicas: with the replica stopped, a token call fails typed instead of acknowledging an unreplicated write; without it, it succeeds', async () => {
    const guarded = await cache({ partition: randomUUID(), minReplicas: 1, replicaTimeoutMs: 300 });
    const plain = await cache({ partition: randomUUID() });
    const guardedApp = daemonApp(guarded);
    const plainApp = daemonApp(plain);
    await guardedApp.token('api://before-stop/.default');

    topology.replica.pause();
    try {
      const refused = persistenceErrorIn(await failure(guardedApp.token('api://replica-stopped/.default')));
      expect(refused?.code).toBe('Timeout');
      expect(refused?.message).toMatch(/only 0 of the 1 replicas required \(minReplicas\) confirmed it within 300 ms/);
      const accepted = await plainApp.token('api://replica-stopped/.default');
      expect(storedSecrets(await plain.persistence.load()).has(accepted.accessToken)).toBe(true);
    } finally {
      topology.replica.resume();
    }
    const after = await guardedApp.token('api://replica-back/.default');
    expect(storedSecrets(await guarded.persistence.load()).has(after.accessToken)).toBe(true);
  });
});

describe('fencing across a Sentinel failover', () => {
  let topology: SentinelTopology;
  const caches: RedisCache[] = [];
  beforeAll(async () => {
    topology = await startSentinelTopology();
  }, 60_000);
  afterAll(async () => {
    for (const created of caches) await created.close();
    await topology?.stop();
  });

  it('a lease the dead primary granted is granted again by the new one, and the stale holder’s write is refused', async () => {
    const partition = randomUUID();
    const open = async () => {
      // A long lease: renewal must not notice the loss first, the write itself has to be refused.
      const created = await createRedisCache({ ...through(topology), partition, leaseMs: 60_000 });
      caches.push(created);
      return created;
    };
    const stale = await open();
    const next = await open();
    const first = await stale.lock.acquire();
    await stale.persistence.save(text('{"v":1}'));
    await first.release();
    await replicated(topology);

    // The replica misses the next grant: stopped, its link dropped (what the primary had sent
    // before waits in the replica's socket; nothing after), then the primary dies.
    topology.replica.pause();
    const primary = new Redis(topology.primary.port, '127.0.0.1').on('error', () => undefined);
    await primary.call('CLIENT', 'KILL', 'TYPE', 'replica');
    primary.disconnect();
    const held = await stale.lock.acquire();
    const staleFence = stale.lock.currentHold()?.fence;
    await topology.primary.kill();
    topology.replica.resume();
    await waitFor('the replica promoted', async () => (await topology.primaryPort()) === topology.replica.port, 30_000);

    const granted = await next.lock.acquire({ timeoutMs: 20_000 });
    expect(next.lock.currentHold()?.fence).toBe(staleFence);
    await next.persistence.save(text('{"v":"from the new holder"}'));

    const whileHeld = await failure(stale.persistence.save(text('{"v":"stale"}')));
    expect(isPersistenceError(whileHeld, 'LockLost')).toBe(true);
    await granted.release();
    const afterRelease = await failure(stale.persistence.save(text('{"v":"stale"}')));
    expect(isPersistenceError(afterRelease, 'LockLost')).toBe(true);
    expect(decode(await next.persistence.load())).toBe('{"v":"from the new holder"}');
    await held.release();
  }, 60_000);
});

interface FailoverCounts {
  minReplicas: number;
  calls: number;
  acknowledged: number;
  persisted: number;
  lost: number;
  failed: number;
  /** SIGKILL until the sentinels name the new primary. */
  sentinelFailoverMs: number;
  /** SIGKILL until the first write acknowledged of a call that started after the primary was gone. */
  recoverMs: number;
  /** The longest token call: what a caller waited across the failover. */
  longestCallMs: number;
  failures: string[];
}

/**
 * 6 writers call every ~40 ms; the primary is SIGKILLed 800 ms in; they go on until 1.5 s after
 * the failover. With minReplicas, two replicas: one is promoted, the other must follow it before
 * writes can be confirmed again.
 */
async function throughFailover(minReplicas: number): Promise<FailoverCounts> {
  const topology = await startSentinelTopology(minReplicas + 1);
  const partition = randomUUID();
  const caches = await Promise.all(
    Array.from({ length: 6 }, () => createRedisCache({ ...through(topology), partition, minReplicas })),
  );
  try {
    const acknowledged: { token: string; started: number; at: number }[] = [];
    const failures: string[] = [];
    let calls = 0;
    let longestCallMs = 0;
    let stop = false;
    const writers = caches.map(async (created, writer) => {
      const { token } = daemonApp(created);
      for (let i = 0; !stop; i++) {
        calls++;
        const started = performance.now();
        try {
          const result = await token(`api://failover-${writer}-${i}/.default`);
          acknowledged.push({ token: result.accessToken, started, at: performance.now() });
        } catch (error) {
          const typed = persistenceErrorIn(error);
          failures.push(typed ? `${typed.code}: ${typed.message}` : String(error));
        }
        longestCallMs = Math.max(longestCallMs, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const killedAt = performance.now();
    await topology.primary.kill();
    const goneAt = performance.now();
    await waitFor('a replica promoted', async () => (await topology.primaryPort()) !== topology.primary.port, 30_000);
    const sentinelFailoverMs = performance.now() - killedAt;
    await waitFor('writes after the failover', () => acknowledged.some((a) => a.started > goneAt), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop = true;
    await Promise.all(writers);

    const reader = await RedisPersistence.create({ ...through(topology), partition });
    const stored = storedSecrets(await reader.load());
    await reader.close();
    const persisted = acknowledged.filter((a) => stored.has(a.token)).length;
    const firstAfter = Math.min(...acknowledged.filter((a) => a.started > goneAt).map((a) => a.at));
    return {
      minReplicas,
      calls,
      acknowledged: acknowledged.length,
      persisted,
      lost: acknowledged.length - persisted,
      failed: failures.length,
      sentinelFailoverMs: Math.round(sentinelFailoverMs),
      recoverMs: Math.round(firstAfter - killedAt),
      longestCallMs: Math.round(longestCallMs),
      failures,
    };
  } finally {
    for (const created of caches) await created.close();
    await topology.stop();
  }
}

describe('SIGKILL of the primary while 6 writers write', () => {
  it('no call fails: calls wait for the new primary (counts printed)', async () => {
    const counts = await throughFailover(0);
    console.log(`failover without minReplicas: ${JSON.stringify(counts)}`);
    expect(counts.failures).toEqual([]);
    expect(counts.acknowledged).toBeGreaterThan(0);
  }, 90_000);

  it('with minReplicas 1: no acknowledged write is lost, and a call that could not be confirmed fails typed (counts printed)', async () => {
    const counts = await throughFailover(1);
    console.log(`failover with minReplicas 1: ${JSON.stringify(counts)}`);
    expect(counts.lost).toBe(0);
    for (const failure of counts.failures) expect(failure).toMatch(/^Timeout: .*minReplicas/);
  }, 90_000);
});
