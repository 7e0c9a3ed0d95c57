import { randomUUID } from 'node:crypto';
import { isPersistenceError } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmCodec, createRedisCache, type RedisCache, RedisConnection, RedisPersistence } from '../src/index.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { partitionOf, text } from './support/helpers.js';

let server: RedisServer;
let connection: RedisConnection;
const key = AesGcmCodec.generateKey();

beforeAll(async () => {
  server = await startRedisServer();
  connection = await RedisConnection.open({ url: server.url });
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

persistenceContract('RedisPersistence', () => new RedisPersistence(connection, { partition: randomUUID() }), {
  reopen: (p) => new RedisPersistence(connection, { partition: partitionOf(p) }),
  isEncrypted: false,
});

persistenceContract(
  'RedisPersistence + AesGcmCodec',
  () => new RedisPersistence(connection, { partition: randomUUID(), codec: new AesGcmCodec({ key }) }),
  {
    reopen: (p) => new RedisPersistence(connection, { partition: partitionOf(p), codec: new AesGcmCodec({ key }) }),
    isEncrypted: true,
  },
);

const caches: RedisCache[] = [];
persistenceContract(
  'RedisPersistence fenced by RedisLock (createRedisCache)',
  async () => {
    const cache = await createRedisCache({ url: server.url, partition: randomUUID() });
    caches.push(cache);
    return cache.persistence;
  },
  {
    // On the same connection: another connection learns of a save by a message that may still be
    // in flight when save() resolves (see the staleness tests in invalidation.test.ts).
    reopen: (p) => {
      const cache = caches.find((c) => c.persistence === p);
      return new RedisPersistence(cache?.connection ?? connection, { partition: partitionOf(p) });
    },
  },
);
afterAll(async () => {
  for (const cache of caches) await cache.close();
});

describe('RedisPersistence specifics', () => {
  it('never repeats a stamp across delete and re-create, even after the server was flushed', async () => {
    const partition = randomUUID();
    const persistence = new RedisPersistence(connection, { partition });
    const seen = new Set<string>([await persistence.stamp()]);
    for (let i = 0; i < 3; i++) {
      seen.add(await persistence.save(text('same')));
      await persistence.delete();
      seen.add(await persistence.stamp());
    }
    await connection.client.flushall();
    seen.add(await persistence.stamp());
    seen.add(await persistence.save(text('same')));
    expect(seen.size).toBe(1 + 3 * 2 + 1);
  });

  it('keeps partitions and prefixes apart', async () => {
    const partition = randomUUID();
    const a = new RedisPersistence(connection, { partition, prefix: 'app-a' });
    const b = new RedisPersistence(connection, { partition, prefix: 'app-b' });
    const c = new RedisPersistence(connection, { partition: randomUUID(), prefix: 'app-a' });
    await a.save(text('a'));
    expect(await b.load()).toBeNull();
    expect(await c.load()).toBeNull();
    expect(a.keys.cache).toBe(`app-a:{${partition}}:cache`);
  });

  it('expires the cache ttlMs after the last save, moving the stamp', async () => {
    const persistence = new RedisPersistence(connection, { partition: randomUUID(), ttlMs: 150 });
    const saved = await persistence.save(text('short-lived'));
    const pttl = await connection.client.pttl(persistence.keys.cache);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(150);
    while ((await persistence.load()) !== null) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await persistence.stamp()).not.toBe(saved);
    const untimed = new RedisPersistence(connection, { partition: partitionOf(persistence) });
    await untimed.save(text('forever'));
    expect(await connection.client.pttl(untimed.keys.cache)).toBe(-1);
  });

  it('stores ciphertext only, and reports a blob encrypted with another key as Corrupt', async () => {
    const partition = randomUUID();
    const persistence = new RedisPersistence(connection, { partition, codec: new AesGcmCodec({ key }) });
    await persistence.save(text('{"secret":"at.cc.visible?"}'));
    const raw = await connection.client.hgetBuffer(persistence.keys.cache, 'd');
    expect(raw?.includes('at.cc.visible?')).toBe(false);
    const stranger = new RedisPersistence(connection, {
      partition,
      codec: new AesGcmCodec({ key: AesGcmCodec.generateKey() }),
    });
    const error = await stranger.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
  });

  it('keeps an unreadable blob aside under its own key', async () => {
    const persistence = new RedisPersistence(connection, { partition: randomUUID() });
    await persistence.save(text('not json'));
    const where = await persistence.keepAside();
    const asideKey = where?.slice(where.indexOf('/', 'redis://'.length) + 1) ?? '';
    expect(asideKey.startsWith(`${persistence.keys.cache}.corrupt-`)).toBe(true);
    expect(await connection.client.get(asideKey)).toBe('not json');
    expect(await persistence.load()).toBeNull();
  });

  it('owns the client it creates and leaves a caller client open', async () => {
    const owned = await RedisPersistence.create({ url: server.url, partition: randomUUID() });
    await owned.save(text('x'));
    await owned[Symbol.asyncDispose]();
    const afterClose = await Promise.resolve(owned.stamp()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(afterClose, 'NotAvailable')).toBe(true);

    const borrowed = await RedisPersistence.create({ client: connection.client, partition: randomUUID() });
    await borrowed.close();
    expect(await connection.client.ping()).toBe('PONG');
  });
});
