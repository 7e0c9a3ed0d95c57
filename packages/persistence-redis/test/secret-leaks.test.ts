// Issue 16, case 5: no error this package produces may carry cache bytes. ioredis attaches the
// command (name and args, so the whole blob of a save) to its errors; a PersistenceError that keeps
// such an error as its cause hands every token to whoever logs or serialises it.
import { randomUUID } from 'node:crypto';
import { isPersistenceError, type PersistenceErrorCode } from '@msal-persist/core';
import { findSecretLeaks } from '@msal-persist/core/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type RedisCacheOptions, RedisConnection, RedisPersistence } from '../src/index.js';
import { startRedisServer } from './servers/redis-server.js';
import { daemonApp } from './support/daemon-app.js';
import { failure, persistenceErrorIn } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const SECRET = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.c2VjcmV0LWFjY2Vzcy10b2tlbi1ib2R5.refresh-and-access-token-bytes';
const PAYLOAD = JSON.stringify({
  AccessToken: { 'home-env-at': { credential_type: 'AccessToken', secret: SECRET } },
  RefreshToken: { 'home-env-rt': { credential_type: 'RefreshToken', secret: `rt.${SECRET}` } },
});
const payload = () => new TextEncoder().encode(PAYLOAD);

const redis = useRedisServer();
const cache = (options: RedisCacheOptions = {}) => redis.cache(options);

function expectNoLeak(error: unknown, code: PersistenceErrorCode) {
  expect(isPersistenceError(error, code), String(error)).toBe(true);
  expect(findSecretLeaks(error, PAYLOAD)).toEqual([]);
}

describe('no Redis error carries the cache it was saving', () => {
  it('LockLost: the lock key vanished under a holder', async () => {
    const { lock, persistence } = await cache();
    const handle = await lock.acquire();
    await redis.admin.del(lock.keys.lock);
    expectNoLeak(await failure(persistence.save(payload())), 'LockLost');
    await handle.release();
  });

  it('LockLost: an unlocked save while another writer holds the lock', async () => {
    const partition = randomUUID();
    const holder = await cache({ partition });
    const other = await cache({ partition });
    const handle = await holder.lock.acquire();
    expectNoLeak(await failure(other.persistence.save(payload())), 'LockLost');
    await handle.release();
  });

  it('NoSpace: maxmemory reached', async () => {
    const { persistence } = await cache();
    await redis.admin.config('SET', 'maxmemory', '1');
    try {
      expectNoLeak(await failure(persistence.save(payload())), 'NoSpace');
    } finally {
      await redis.admin.config('SET', 'maxmemory', '0');
    }
  });

  it('AccessDenied: an ACL user not allowed to run scripts', async () => {
    await redis.admin.acl('SETUSER', 'no-scripts', 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
    const connection = await RedisConnection.open({ url: `redis://no-scripts:pw@127.0.0.1:${redis.server.port}` });
    try {
      const persistence = new RedisPersistence(connection, { partition: randomUUID() });
      expectNoLeak(await failure(persistence.save(payload())), 'AccessDenied');
    } finally {
      await connection.close();
    }
  });

  it('ReadOnly: connected to a replica', async () => {
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(redis.server.port)] });
    const persistence = await RedisPersistence.create({ url: replica.url, partition: randomUUID() });
    try {
      expectNoLeak(await failure(persistence.save(payload())), 'ReadOnly');
    } finally {
      await persistence.close();
      await replica.stop();
    }
  });

  it('Io: the server is busy running another script', async () => {
    const { persistence } = await cache();
    const busy = new Redis(redis.server.url);
    await busy.ping();
    await redis.admin.config('SET', 'busy-reply-threshold', '10');
    const spinning = busy.eval('while true do end', 0).catch(() => undefined);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expectNoLeak(await failure(persistence.save(payload())), 'Io');
    } finally {
      // Only an already connected client can stop it: a new one's handshake gets BUSY too.
      await redis.admin.script('KILL').catch(() => undefined);
      await spinning;
      busy.disconnect();
      await redis.admin.config('SET', 'busy-reply-threshold', '5000');
    }
  });

  it('Timeout: no replica confirmed the save (minReplicas)', async () => {
    const { lock, persistence } = await cache({ minReplicas: 1, replicaTimeoutMs: 100 });
    const handle = await lock.acquire();
    expectNoLeak(await failure(persistence.save(payload())), 'Timeout');
    await handle.release();
  });

  it('Corrupt: the cache key holds another type', async () => {
    const { persistence } = await cache();
    await redis.admin.rpush(persistence.keys.cache, PAYLOAD);
    expectNoLeak(await failure(persistence.load()), 'Corrupt');
  });

  it('through a real msal token call whose save is refused (LockLost), what msal rejects with', async () => {
    const created = await cache();
    // The real lock, whose key vanishes right after it is taken: the save that follows is refused.
    const lock = {
      acquire: async (options?: { timeoutMs?: number }) => {
        const handle = await created.lock.acquire(options);
        await redis.admin.del(created.lock.keys.lock);
        return handle;
      },
    };
    const { app, token } = daemonApp({ persistence: created.persistence, lock });
    const error = await failure(token('api://lock-lost-during-save/.default'));
    expect(persistenceErrorIn(error)?.code).toBe('LockLost');
    // What the refused save carried (msal keeps the new token in this process's memory).
    const attempted = app.getTokenCache().serialize();
    expect(attempted).toMatch(/lock-lost-during-save/);
    expect(findSecretLeaks(error, attempted)).toEqual([]);
  });

  it('Timeout: the server is paused', async () => {
    const { persistence } = await cache({ commandTimeoutMs: 300 });
    redis.server.pause();
    try {
      expectNoLeak(await failure(persistence.save(payload())), 'Timeout');
    } finally {
      redis.server.resume();
    }
  });

  it('NotAvailable: the server is down', async () => {
    const { persistence } = await cache({ commandTimeoutMs: 300 });
    await redis.server.kill();
    try {
      expectNoLeak(await failure(persistence.save(payload())), 'NotAvailable');
    } finally {
      await redis.server.start();
    }
  });
});
