// Auth-code sign-in, silent calls from the user's partition, refresh, sign-out: real msal-node.
import { bytesToText, MemoryPartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint, fakeTokenClaims } from '@msal-persist/core/fake-token-endpoint';
import { describe, expect, it } from 'vitest';
import { userPartitionKey } from '../src/index.js';
import { API_CLIENT_ID, REDIRECT_URI, webClients } from './support/web-setup.js';

async function signIn(
  idp: FakeTokenEndpoint,
  clients: Awaited<ReturnType<typeof webClients>>,
  name: string,
  scopes = ['User.Read'],
) {
  const result = await clients.acquireTokenByCode({
    code: idp.authorizationCode(FakeTokenEndpoint.userNamed(name)),
    scopes,
    redirectUri: REDIRECT_URI,
  });
  return result.account?.homeAccountId ?? '';
}

async function storedText(store: MemoryPartitionedStore, homeAccountId: string): Promise<string> {
  const data = await store.partition(userPartitionKey(API_CLIENT_ID, homeAccountId)).persistence.load();
  return data ? bytesToText(data) : '';
}

describe('auth code, then silent calls', () => {
  it('the sign-in URL is built with no network call', async () => {
    const idp = new FakeTokenEndpoint();
    const clients = await webClients(idp, new MemoryPartitionedStore());
    const url = new URL(
      await clients.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri: REDIRECT_URI, state: 's1' }),
    );
    expect(url.origin).toBe(`https://${idp.host}`);
    expect(url.searchParams.get('client_id')).toBe(API_CLIENT_ID);
    expect(idp.calls.total).toBe(0);
  });

  it('the redeemed tokens land in the user’s partition; another instance serves silent calls from it with 0 requests', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const homeAccountId = await signIn(idp, await webClients(idp, store), 'ada');
    expect(homeAccountId).toBe(`${FakeTokenEndpoint.userNamed('ada').oid}.${idp.tenantId}`);
    expect(await storedText(store, homeAccountId)).toContain(homeAccountId);

    idp.resetCalls();
    const other = await webClients(idp, store);
    const silent = await other.acquireTokenSilent({ homeAccountId, scopes: ['User.Read'] });
    expect(silent?.fromCache).toBe(true);
    expect(fakeTokenClaims(silent?.accessToken ?? '').name).toBe('ada');
    expect(idp.calls.total).toBe(0);
  });

  it('a second sign-in of the same user with other scopes keeps the first scopes’ tokens (merged, not replaced)', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const homeAccountId = await signIn(idp, clients, 'ada', ['User.Read']);
    await signIn(idp, clients, 'ada', ['Mail.Read']);
    idp.resetCalls();
    for (const scopes of [['User.Read'], ['Mail.Read']]) {
      expect((await clients.acquireTokenSilent({ homeAccountId, scopes }))?.fromCache).toBe(true);
    }
    expect(idp.calls.total).toBe(0);
    const stored = JSON.parse(await storedText(store, homeAccountId)) as { Account: object; RefreshToken: object };
    expect(Object.keys(stored.Account)).toHaveLength(1);
    expect(Object.keys(stored.RefreshToken)).toHaveLength(1);
  });

  it('an expired access token is renewed with the partition’s refresh token, once for 30 concurrent calls', async () => {
    const idp = new FakeTokenEndpoint({ accessTokenLifetimeSec: 60, latencyMs: 10 });
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const homeAccountId = await signIn(idp, clients, 'ada');
    idp.accessTokenLifetimeSec = 3600;
    const results = await Promise.all(
      Array.from({ length: 30 }, () => clients.acquireTokenSilent({ homeAccountId, scopes: ['User.Read'] })),
    );
    expect(idp.calls.token.refresh_token).toBe(1);
    expect(new Set(results.map((r) => r?.accessToken)).size).toBe(1);
  });

  it('users never share a partition: 10 users signed in, each silent call answers with its own user', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const names = Array.from({ length: 10 }, (_, i) => `person${i}`);
    const ids = await Promise.all(names.map((name) => signIn(idp, clients, name)));
    const answers = await Promise.all(
      ids.map((homeAccountId) => clients.acquireTokenSilent({ homeAccountId, scopes: ['User.Read'] })),
    );
    answers.forEach((answer, i) => {
      expect(fakeTokenClaims(answer?.accessToken ?? '').oid).toBe(FakeTokenEndpoint.userNamed(names[i] ?? '').oid);
    });
    for (const [i, homeAccountId] of ids.entries()) {
      const text = await storedText(store, homeAccountId);
      for (const [j, other] of ids.entries()) expect(text.includes(other)).toBe(i === j);
    }
  });

  it('sign-out deletes the user’s partition: silent calls then resolve null, other users keep theirs', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const ada = await signIn(idp, clients, 'ada');
    const bob = await signIn(idp, clients, 'bob');
    await clients.signOut(ada);
    expect(await storedText(store, ada)).toBe('');
    expect(
      await (await webClients(idp, store)).acquireTokenSilent({ homeAccountId: ada, scopes: ['User.Read'] }),
    ).toBeNull();
    expect(await clients.acquireTokenSilent({ homeAccountId: ada, scopes: ['User.Read'] })).toBeNull();
    expect((await clients.acquireTokenSilent({ homeAccountId: bob, scopes: ['User.Read'] }))?.fromCache).toBe(true);
    expect(clients.stats().signOuts).toBe(1);
  });
});
