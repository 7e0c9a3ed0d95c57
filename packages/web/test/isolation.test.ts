// Many users interleaved on shared instances over one real redis-server: no answer carries another
// user's token and no partition holds another user's entries — with the warm lookup instances and
// the L1 small enough that they evict all the time (the paths a key mix-up would hide in).
import { bytesToText } from '@msal-persist/core';
import { FakeTokenEndpoint, type FakeUser, fakeTokenClaims } from '@msal-persist/core/fake-token-endpoint';
import { createRedisPartitionedStore, type RedisPartitionedStore } from '@msal-persist/persistence-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../persistence-redis/test/servers/redis-server.js';
import { oboPartitionKey, userPartitionKey, type WebClients } from '../src/index.js';
import { API_CLIENT_ID, GRAPH, REDIRECT_URI, webClients } from './support/web-setup.js';

/** Entries of a serialized cache filed under another account than `homeAccountId`. */
function foreignEntries(text: string, homeAccountId: string): number {
  const cache = JSON.parse(text) as Record<string, Record<string, { home_account_id?: string | null }>>;
  let foreign = 0;
  for (const section of ['Account', 'IdToken', 'AccessToken', 'RefreshToken']) {
    for (const entry of Object.values(cache[section] ?? {})) if (entry.home_account_id !== homeAccountId) foreign++;
  }
  return foreign;
}

describe('isolation of users on shared instances (real redis-server)', { timeout: 120_000 }, () => {
  let server: RedisServer;
  const stores: RedisPartitionedStore[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await server?.stop();
  });

  it('200 users, silent and on-behalf-of calls interleaved on 2 instances with evicting warm instances and L1: every answer and every partition is its own user’s', async () => {
    const idp = new FakeTokenEndpoint();
    const open = async () => {
      // ~6 partitions' worth of L1 and 4 warm instances: nearly every call evicts something.
      // A generous command timeout: this test is about whose tokens come back, and on a loaded CI
      // machine (2 cores, other test files' processes) a read may wait past the 2 s default.
      const store = await createRedisPartitionedStore({
        url: server.url,
        prefix: 'isolation',
        l1MaxBytes: 40_000,
        commandTimeoutMs: 15_000,
      });
      stores.push(store);
      return webClients(idp, store, { warmClients: 4 });
    };
    const instances: WebClients[] = [await open(), await open()];
    const users = Array.from({ length: 200 }, (_, i) => FakeTokenEndpoint.userNamed(`isolated${i}`));
    const homeOf = (user: FakeUser) => `${user.oid}.${idp.tenantId}`;
    const incoming = users.map((user) => idp.issueAccessToken(user, { audience: `api://${API_CLIENT_ID}` }));

    await Promise.all(
      users.map((user, i) =>
        instances[i % 2]?.acquireTokenByCode({
          code: idp.authorizationCode(user),
          scopes: ['User.Read'],
          redirectUri: REDIRECT_URI,
        }),
      ),
    );
    const wrong: string[] = [];
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        users.map(async (user, i) => {
          // Each round puts a user on the other instance than the last, and alternates the flow.
          const clients = instances[(i + round) % 2] as WebClients;
          const result =
            (i + round) % 3 === 0
              ? await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming[i] ?? '', scopes: GRAPH })
              : await clients.acquireTokenSilent({ homeAccountId: homeOf(user), scopes: ['User.Read'] });
          const oid = result ? fakeTokenClaims(result.accessToken).oid : 'no answer';
          if (oid !== user.oid) wrong.push(`${user.name} got ${oid}`);
        }),
      );
    }
    expect(wrong).toEqual([]);
    // Evictions did happen, in both layers (else this test would not cover them).
    expect(stores.every((store) => store.stats().l1.evictions > 0)).toBe(true);
    expect(instances.every((clients) => clients.stats().clientsBuilt > 100)).toBe(true);

    // What Redis holds, read through a third store without an L1.
    const reader = await createRedisPartitionedStore({
      url: server.url,
      prefix: 'isolation',
      l1MaxBytes: 0,
      commandTimeoutMs: 15_000,
    });
    stores.push(reader);
    const holding: string[] = [];
    for (const [i, user] of users.entries()) {
      for (const [flow, key] of [
        ['user', userPartitionKey(API_CLIENT_ID, homeOf(user))],
        ['obo', oboPartitionKey(API_CLIENT_ID, incoming[i] ?? '')],
      ] as const) {
        const bytes = await reader.partition(key).persistence.load();
        if (bytes === null) {
          if (flow === 'user') holding.push(`${user.name}: user partition missing`);
          continue;
        }
        if (foreignEntries(bytesToText(bytes), homeOf(user)) > 0) holding.push(`${user.name}: ${flow} partition`);
      }
    }
    expect(holding).toEqual([]);
    // 2 of every 6 rounds per user were on-behalf-of calls, so every caller's partition was written.
    expect(idp.calls.token.on_behalf_of).toBe(users.length);
  });
});
