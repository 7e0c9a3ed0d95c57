import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { isPersistenceError, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache, RedisConnection, RedisPersistence } from '../src/index.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { failure, persistenceErrorIn } from './support/helpers.js';

const SCOPES = ['api://fault-test/.default'];

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Calls `call` (every 20 ms, at most 200 times) until it rejects; resolves with the rejection. */
async function firstFailure(call: () => Promise<unknown>): Promise<unknown> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const error = await failure(call());
    if (error !== undefined) return error;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the call never failed');
}

describe('Redis outages', () => {
  it('fails fast with NotAvailable when nothing listens, naming what to check', async () => {
    const nowhere = await failure(RedisConnection.open({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 2_000 }));
    expect(isPersistenceError(nowhere, 'NotAvailable')).toBe(true);
    expect((nowhere as Error).message).toMatch(
      /redis:\/\/127\.0\.0\.1:1.* is not reachable .*ECONNREFUSED.*Check that redis-server is running/,
    );
  });

  it('token calls fail with a typed error once Redis is paused past the staleness bound or down, and work again once it is back', async () => {
    const idp = new FakeTokenEndpoint();
    const cache = await createRedisCache({
      url: server.url,
      partition: randomUUID(),
      commandTimeoutMs: 300,
      maxStalenessMs: 200,
    });
    const app = new ConfidentialClientApplication({
      auth: { ...idp.authConfig('aaaaaaaa-0000-4000-8000-00000000fa17'), clientSecret: 'fake-secret' },
      system: { networkClient: idp.networkClient },
      cache: {
        cachePlugin: new PersistenceCachePlugin({ persistence: cache.persistence, lock: cache.lock, logger: {} }),
      },
    });
    try {
      const first = await app.acquireTokenByClientCredential({ scopes: SCOPES });

      // Silent calls are answered from memory for up to maxStalenessMs after the last word from
      // Redis (a paused server sends none); the first one past it asks Redis, and fails typed.
      const call = () => app.acquireTokenByClientCredential({ scopes: SCOPES });
      server.pause();
      const paused = persistenceErrorIn(await firstFailure(call));
      expect(paused?.code).toBe('Timeout');
      expect(paused?.message).toMatch(/did not answer within 300 ms/);
      server.resume();
      const resumed = await app.acquireTokenByClientCredential({ scopes: SCOPES });
      expect(resumed?.accessToken).toBe(first?.accessToken);
      expect(resumed?.fromCache).toBe(true);

      await server.kill();
      // The dropped subscription ends the answers from memory as soon as its socket closes.
      const down = persistenceErrorIn(await firstFailure(call));
      expect(down?.code).toBe('NotAvailable');
      expect(down?.message).toMatch(/is not reachable/);

      await server.start();
      let again: Awaited<ReturnType<typeof app.acquireTokenByClientCredential>> | undefined;
      for (let attempt = 0; !again; attempt++) {
        const result = await failure(app.acquireTokenByClientCredential({ scopes: SCOPES }).then((r) => (again = r)));
        if (result !== undefined) expect(persistenceErrorIn(result)?.code).toMatch(/NotAvailable|Timeout/);
        if (attempt > 200) throw new Error('the cache never worked again after Redis came back', { cause: result });
        if (!again) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // This server keeps nothing on disk: the restart emptied it, so the token was fetched anew and stored whole.
      const stored = JSON.parse(new TextDecoder().decode((await cache.persistence.load()) ?? undefined)) as {
        AccessToken: Record<string, { secret: string }>;
      };
      expect(Object.values(stored.AccessToken).map((entry) => entry.secret)).toEqual([again?.accessToken]);
    } finally {
      await cache.close();
    }
  });

  it('a client of ours that ioredis ended on its own (not closed by us) is revived by the next call', async () => {
    const cache = await createRedisCache({ url: server.url, partition: randomUUID() });
    try {
      await cache.persistence.save(new TextEncoder().encode('{}'));
      // What ioredis does when a reconnect attempt is cut short (a Sentinel lookup during a failover).
      cache.connection.client.disconnect();
      await new Promise((resolve) => cache.connection.client.once('end', resolve));
      expect(await cache.persistence.load()).toEqual(new TextEncoder().encode('{}'));
    } finally {
      await cache.close();
    }
  });

  it('a caller client without a command timeout still never hangs', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(server.url, { maxRetriesPerRequest: 0 });
    await new Promise((resolve) => client.once('ready', resolve));
    const persistence = await RedisPersistence.create({ client, commandTimeoutMs: 300, partition: randomUUID() });
    server.pause();
    try {
      const error = await failure(Promise.resolve(persistence.stamp()));
      expect(isPersistenceError(error, 'Timeout')).toBe(true);
    } finally {
      server.resume();
      client.disconnect();
    }
  });
});
