// What a restart of Redis costs the apps whose tokens it holds (the README's "Redis restarts" table,
// issue 16 case 12): without persistence the store comes back empty, and the store is the truth —
// a public client's user is signed out (every process, also those holding tokens in memory), a
// daemon asks the identity provider again. With an append-only file nothing is lost.
import { randomUUID } from 'node:crypto';
import { InteractionRequiredAuthError, PublicClientApplication } from '@azure/msal-node';
import { PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { createRedisCache, type RedisCache } from '../src/index.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { daemonApp } from './support/daemon-app.js';

const SCOPES = ['User.Read'];

function publicApp(cache: RedisCache) {
  const idp = new FakeTokenEndpoint();
  const app = new PublicClientApplication({
    auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000de57'),
    system: { networkClient: idp.networkClient },
    cache: {
      cachePlugin: new PersistenceCachePlugin({ persistence: cache.persistence, lock: cache.lock, logger: {} }),
    },
  });
  return { app, idp };
}

/** Calls `call` until Redis answers again after the restart (NotAvailable meanwhile); resolves with what it settled to. */
async function onceBack<T>(call: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      return { value: await call() };
    } catch (error) {
      if (!/not reachable|did not answer/.test(String((error as Error)?.message))) return { error };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error('Redis never came back');
}

async function crashAndRestart(server: RedisServer) {
  await server.kill();
  await server.start();
}

describe('a Redis restart', () => {
  it('without persistence: the signed-in user of a running public client must sign in again; a daemon fetches anew', async () => {
    const server = await startRedisServer();
    const cache = await createRedisCache({ url: server.url, partition: randomUUID() });
    try {
      const { app } = publicApp(cache);
      const signIn = await app.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => undefined });
      const account = signIn?.account;
      if (!account) throw new Error('no account');
      expect((await app.acquireTokenSilent({ scopes: SCOPES, account })).fromCache).toBe(true);
      const daemon = daemonApp(cache);
      await daemon.token('api://restart/.default');

      await crashAndRestart(server);
      const silent = await onceBack(() => app.acquireTokenSilent({ scopes: SCOPES, account }));
      // msal's "sign in interactively" error: the next step for the app is the device code flow again.
      expect(silent.error).toBeInstanceOf(InteractionRequiredAuthError);
      expect(await app.getTokenCache().getAllAccounts()).toEqual([]);
      const again = await onceBack(() => daemon.token('api://restart/.default'));
      expect(again.value?.fromCache).toBe(false);
      expect(daemon.idp.calls.total).toBe(2);
    } finally {
      await cache.close();
      await server.stop();
    }
  });

  it('with appendonly yes (appendfsync always): nothing is lost, not even by a crash', async () => {
    const server = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const cache = await createRedisCache({ url: server.url, partition: randomUUID() });
    try {
      const { app, idp } = publicApp(cache);
      const signIn = await app.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => undefined });
      const account = signIn?.account;
      if (!account) throw new Error('no account');
      const daemon = daemonApp(cache);
      await daemon.token('api://restart/.default');
      const callsBefore = idp.calls.total;

      await crashAndRestart(server);
      const silent = await onceBack(() => app.acquireTokenSilent({ scopes: SCOPES, account }));
      expect(silent.value?.fromCache).toBe(true);
      expect(idp.calls.total).toBe(callsBefore);
      const again = await onceBack(() => daemon.token('api://restart/.default'));
      expect(again.value?.fromCache).toBe(true);
      expect(daemon.idp.calls.total).toBe(1);
    } finally {
      await cache.close();
      await server.stop();
    }
  });
});
