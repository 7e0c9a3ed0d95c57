// Warm lookup instances (one per recently used partition) stay coherent with the store: what
// another instance or process writes or deletes is what the next call sees.
import { MemoryPartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { describe, expect, it } from 'vitest';
import { REDIRECT_URI, webClients } from './support/web-setup.js';

const SCOPES = ['User.Read'];

async function signedIn(idp: FakeTokenEndpoint, store: MemoryPartitionedStore) {
  const a = await webClients(idp, store);
  const b = await webClients(idp, store); // another process
  const result = await a.acquireTokenByCode({
    code: idp.authorizationCode(FakeTokenEndpoint.userNamed('ada')),
    scopes: SCOPES,
    redirectUri: REDIRECT_URI,
  });
  return { a, b, homeAccountId: result.account?.homeAccountId ?? '' };
}

describe('warm lookup instances', () => {
  it('a token another instance renewed is the one served next, not the one in the warm memory', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const { a, b, homeAccountId } = await signedIn(idp, store);
    const before = await a.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const renewed = await b.clientFor(`user:${b.clientId}:${homeAccountId}`).app.acquireTokenSilent({
      account:
        before?.account ??
        (() => {
          throw new Error('no account');
        })(),
      scopes: SCOPES,
      forceRefresh: true,
    });
    expect(renewed.accessToken).not.toBe(before?.accessToken);
    const after = await a.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(after?.accessToken).toBe(renewed.accessToken);
    expect(after?.fromCache).toBe(true);
  });

  it('a sign-out by another instance signs the user out of the warm one too', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const { a, b, homeAccountId } = await signedIn(idp, store);
    expect(await a.acquireTokenSilent({ homeAccountId, scopes: SCOPES })).not.toBeNull();
    await b.signOut(homeAccountId);
    expect(await a.acquireTokenSilent({ homeAccountId, scopes: SCOPES })).toBeNull();
  });

  it('hits on a warm partition build no new instance; warmClients bounds how many are kept', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store, { warmClients: 2 });
    const incoming = ['a', 'b', 'c'].map((name) =>
      idp.issueAccessToken(FakeTokenEndpoint.userNamed(name), { audience: 'api://x' }),
    );
    for (const token of incoming) await clients.acquireTokenOnBehalfOf({ oboAssertion: token, scopes: SCOPES });
    const built = clients.stats().clientsBuilt;
    for (let i = 0; i < 10; i++)
      await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming[2] ?? '', scopes: SCOPES });
    expect(clients.stats().clientsBuilt).toBe(built);
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming[0] ?? '', scopes: SCOPES }); // evicted: rebuilt
    expect(clients.stats().clientsBuilt).toBe(built + 1);
    expect(clients.stats().cacheHits).toBe(11);
  });

  it('warmClients must be a whole number >= 0 (RangeError, TypeError), checked before any request', async () => {
    const idp = new FakeTokenEndpoint();
    await expect(webClients(idp, new MemoryPartitionedStore(), { warmClients: -1 })).rejects.toThrow(RangeError);
    await expect(webClients(idp, new MemoryPartitionedStore(), { warmClients: 1.5 })).rejects.toThrow(TypeError);
    expect(idp.calls.total).toBe(0);
  });
});
