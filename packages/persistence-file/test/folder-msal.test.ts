// Real msal-node, offline, over a FolderPartitionedStore: a client built per request and bound to
// one partition, as a web app does. Each partition holds its user's (or app's) tokens only, and
// another process is served from the folder with no network call.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { bytesToText, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { FolderPartitionedStore, partitionFileName } from '../src/index.js';
import { CLIENT_ID } from './fixtures/apps.js';
import { startFixture, tempSpacePerTest, waitForLine } from './helpers.js';

const DAY = 86_400_000;

function pluginFor(store: FolderPartitionedStore, key: string) {
  const { persistence, lock } = store.partition(key);
  return new PersistenceCachePlugin({ persistence, lock, logger: {} });
}

interface Stored {
  Account: Record<string, { username: string }>;
  AccessToken: Record<string, { home_account_id: string; realm: string; expires_on: string }>;
  RefreshToken: Record<string, { home_account_id: string }>;
}
async function storedCache(store: FolderPartitionedStore, key: string): Promise<Stored> {
  const bytes = await store.partition(key).persistence.load();
  if (!bytes) throw new Error('the partition is empty');
  return JSON.parse(bytesToText(bytes)) as Stored;
}
const retentionOf = (store: FolderPartitionedStore, key: string) =>
  Number(
    readFileSync(join(store.dir, partitionFileName(key)), 'latin1')
      .split('\n')[0]
      ?.split(' ')[1],
  );

describe('FolderPartitionedStore with real msal-node, offline', () => {
  const space = tempSpacePerTest();

  it('a client per request per user: each partition holds only its user, and another process reads it with no network call', async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'partitions'), refreshTokenIdleMs: DAY });
    const users = ['ada', 'bo', 'cy'].map((name) => FakeTokenEndpoint.userNamed(name));
    for (const user of users) {
      const idp = new FakeTokenEndpoint({ user });
      const app = new PublicClientApplication({
        auth: idp.authConfig(CLIENT_ID),
        system: { networkClient: idp.networkClient },
        cache: { cachePlugin: pluginFor(store, `user:${user.username}`) },
      });
      const before = Date.now();
      await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
      expect(retentionOf(store, `user:${user.username}`)).toBeGreaterThanOrEqual(before + DAY);
    }
    for (const user of users) {
      const cache = await storedCache(store, `user:${user.username}`);
      expect(Object.values(cache.Account).map((account) => account.username)).toEqual([user.username]);
      const owners = new Set(
        [...Object.values(cache.AccessToken), ...Object.values(cache.RefreshToken)].map((t) => t.home_account_id),
      );
      expect(owners.size).toBe(1);
    }

    const child = startFixture('folder-silent', [store.dir, 'user:bo@contoso.test']);
    const result = await waitForLine<{ username?: string; fromCache?: boolean; network?: number; accounts?: number }>(
      child,
      (line) => line.username !== undefined,
    );
    expect(result).toEqual({ username: 'bo@contoso.test', fromCache: true, network: 0, accounts: 1 });
  });

  it('app tokens per tenant: one partition each, kept until their access token expires', async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'partitions') });
    const tenants = ['00000000-0000-4000-8000-0000000000t1', '00000000-0000-4000-8000-0000000000t2'];
    for (const tenantId of tenants) {
      const idp = new FakeTokenEndpoint({ tenantId });
      const key = `app:${CLIENT_ID}:${tenantId}`;
      const app = new ConfidentialClientApplication({
        auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
        system: { networkClient: idp.networkClient },
        cache: { cachePlugin: pluginFor(store, key) },
      });
      await app.acquireTokenByClientCredential({ scopes: ['api://downstream/.default'] });
      // A second client for the same partition (the next request) is served from the folder.
      const next = new ConfidentialClientApplication({
        auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
        system: { networkClient: idp.networkClient },
        cache: { cachePlugin: pluginFor(store, key) },
      });
      idp.resetCalls();
      const again = await next.acquireTokenByClientCredential({ scopes: ['api://downstream/.default'] });
      expect(again?.fromCache).toBe(true);
      expect(idp.calls.total).toBe(0);

      const tokens = Object.values((await storedCache(store, key)).AccessToken);
      expect(tokens.map((token) => token.realm)).toEqual([tenantId]);
      expect(retentionOf(store, key)).toBe(Number(tokens[0]?.expires_on) * 1000);
    }
  });
});
