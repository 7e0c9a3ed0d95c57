import { randomUUID } from 'node:crypto';
import { isPersistenceError } from '@msal-persist/core';
import { lockContract } from '@msal-persist/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache, type RedisCache, RedisConnection, RedisLock } from '../src/index.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { decode, failure, partitionOf, text } from './support/helpers.js';

let server: RedisServer;
let connection: RedisConnection;
let other: RedisConnection;

beforeAll(async () => {
  server = await startRedisServer();
  connection = await RedisConnection.open({ url: server.url });
  // A second client plays the other machine.
  other = await RedisConnection.open({ url: server.url });
});
afterAll(async () => {
  await connection?.close();
  await other?.close();
  await server?.stop();
});

/** Blocks this thread like a long GC pause or a stopped VM: no timer, no renewal runs. */
const freeze = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

lockContract('RedisLock', () => new RedisLock(connection, { partition: randomUUID() }), {
  peer: (lock) => new RedisLock(other, { partition: partitionOf(lock) }),
});

describe('RedisLock specifics', () => {
  const caches: RedisCache[] = [];
  const cache = async (partition: string, leaseMs: number) => {
    const created = await createRedisCache({ url: server.url, partition, leaseMs });
    caches.push(created);
    return created;
  };
  afterAll(async () => {
    for (const created of caches) await created.close();
  });

  it('gets past a lock left by a crashed holder once its lease runs out', async () => {
    const lock = new RedisLock(connection, { partition: randomUUID(), leaseMs: 200 });
    await connection.client.set(lock.keys.lock, 'crashed-holder', 'PX', 200);
    const handle = await lock.acquire({ timeoutMs: 5_000 });
    expect(await connection.client.get(lock.keys.lock)).toBe(lock.currentHold()?.token);
    await handle.release();
    expect(await connection.client.exists(lock.keys.lock)).toBe(0);
  });

  it('renews the lease while held, so a live holder keeps the lock past its lease', async () => {
    const partition = randomUUID();
    const holder = new RedisLock(connection, { partition, leaseMs: 150 });
    const peer = new RedisLock(other, { partition, leaseMs: 150 });
    const handle = await holder.acquire();
    const error = await failure(peer.acquire({ timeoutMs: 600 }));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect(holder.currentHold()?.lost).toBe(false);
    await handle.release();
    await (await peer.acquire({ timeoutMs: 5_000 })).release();
  });

  it('hands out increasing fencing tokens', async () => {
    const lock = new RedisLock(connection, { partition: randomUUID() });
    const fences: number[] = [];
    for (let i = 0; i < 3; i++) {
      const handle = await lock.acquire();
      fences.push(lock.currentHold()?.fence ?? 0);
      await handle.release();
    }
    expect(fences).toEqual([1, 2, 3]);
  });

  it('fencing: a holder paused past its lease cannot overwrite the next holder’s write (LockLost)', async () => {
    const partition = randomUUID();
    const paused = await cache(partition, 200);
    const next = await cache(partition, 200);
    const stale = await paused.lock.acquire();
    freeze(500);
    const handle = await next.lock.acquire({ timeoutMs: 5_000 });
    await next.persistence.save(text('newer'));
    await handle.release();

    const error = await failure(paused.persistence.save(text('stale')));
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(decode(await next.persistence.load())).toBe('newer');
    await stale.release();
    expect(decode(await paused.persistence.load())).toBe('newer');
  });

  it('fencing is enforced by Redis: a hold whose key vanished is refused even before renewal notices', async () => {
    const partition = randomUUID();
    const holder = await cache(partition, 10_000);
    const handle = await holder.lock.acquire();
    await holder.persistence.save(text('first'));
    await connection.client.del(holder.lock.keys.lock);
    expect(holder.lock.currentHold()?.lost).toBe(false);
    const error = await failure(holder.persistence.save(text('second')));
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(decode(await holder.persistence.load())).toBe('first');
    await handle.release();
  });

  it('a stale release never frees the next holder, and an unlocked save cannot race a holder', async () => {
    const partition = randomUUID();
    const paused = await cache(partition, 150);
    const next = await cache(partition, 150);
    const stale = await paused.lock.acquire();
    freeze(400);
    const handle = await next.lock.acquire({ timeoutMs: 5_000 });
    await stale.release();
    expect(await connection.client.get(next.lock.keys.lock)).toBe(next.lock.currentHold()?.token);
    const busy = await failure(paused.persistence.save(text('unlocked')));
    expect(isPersistenceError(busy, 'LockLost')).toBe(true);
    await handle.release();
    await paused.persistence.save(text('unlocked, lock free'));
    expect(decode(await next.persistence.load())).toBe('unlocked, lock free');
  });
});
