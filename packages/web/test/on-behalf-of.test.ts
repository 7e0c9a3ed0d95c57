// On-behalf-of with real msal-node over a partitioned store: the caller's partition is read,
// callers never see each other's tokens, and concurrent misses make one token request.
import { ConfidentialClientApplication } from '@azure/msal-node';
import { bytesToText, MemoryPartitionedStore, PersistenceCachePlugin, textToBytes } from '@msal-persist/core';
import { FakeTokenEndpoint, fakeTokenClaims } from '@msal-persist/core/fake-token-endpoint';
import { describe, expect, it } from 'vitest';
import { oboPartitionKey } from '../src/index.js';
import { API_CLIENT_ID, GRAPH, incomingToken, webClients } from './support/web-setup.js';

describe('acquireTokenOnBehalfOf', () => {
  it('a new instance (as another request or process) is served from the partition: 0 token requests', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const incoming = incomingToken(idp, 'ada');
    const first = await (await webClients(idp, store)).acquireTokenOnBehalfOf({
      oboAssertion: incoming,
      scopes: GRAPH,
    });
    expect(first.fromCache).toBe(false);
    expect(idp.calls.token.on_behalf_of).toBe(1);

    const other = await webClients(idp, store);
    for (let i = 0; i < 20; i++) {
      const again = await other.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
      expect(again.fromCache).toBe(true);
      expect(again.accessToken).toBe(first.accessToken);
    }
    expect(idp.calls.token.on_behalf_of).toBe(1);
    expect(other.stats()).toMatchObject({ cacheHits: 20, cacheMisses: 0, tokenRequests: 0 });
  });

  it('what it fixes: msal-node alone, a new app per request with the plugin on the same partition, asks the endpoint again', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const incoming = incomingToken(idp, 'ada');
    await (await webClients(idp, store)).acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    const { persistence, lock } = store.partition(oboPartitionKey(API_CLIENT_ID, incoming));
    expect(bytesToText((await persistence.load()) ?? new Uint8Array())).toContain('AccessToken');
    const plain = new ConfidentialClientApplication({
      auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'fake-secret' },
      system: { networkClient: idp.networkClient },
      cache: { cachePlugin: new PersistenceCachePlugin({ persistence, lock, logger: {} }) },
    });
    const result = await plain.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    expect(result?.fromCache).toBe(false);
    expect(idp.calls.token.on_behalf_of).toBe(2);
  });

  it('callers interleaved on one instance: each answer carries its own caller, each partition only its caller', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const names = Array.from({ length: 25 }, (_, i) => `user${i}`);
    const incoming = new Map(names.map((name) => [name, incomingToken(idp, name)]));
    for (let round = 0; round < 2; round++) {
      await Promise.all(
        names.map(async (name) => {
          const result = await clients.acquireTokenOnBehalfOf({
            oboAssertion: incoming.get(name) ?? '',
            scopes: GRAPH,
          });
          expect(fakeTokenClaims(result.accessToken).oid).toBe(FakeTokenEndpoint.userNamed(name).oid);
        }),
      );
    }
    expect(idp.calls.token.on_behalf_of).toBe(names.length);
    for (const name of names) {
      const stored = bytesToText(
        (await store.partition(oboPartitionKey(API_CLIENT_ID, incoming.get(name) ?? '')).persistence.load()) ??
          textToBytes(''),
      );
      for (const other of names) {
        expect(stored.includes(FakeTokenEndpoint.userNamed(other).oid)).toBe(other === name);
      }
    }
  });

  it('50 concurrent calls for a caller whose token is missing: 1 token request, 49 served from the cache', async () => {
    const idp = new FakeTokenEndpoint({ latencyMs: 20 });
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const incoming = incomingToken(idp, 'ada');
    const results = await Promise.all(
      Array.from({ length: 50 }, () => clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH })),
    );
    expect(idp.calls.token.on_behalf_of).toBe(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(clients.stats()).toMatchObject({ tokenRequests: 1, cacheMisses: 50, servedByOtherFlight: 49 });
  });

  it('a token that expired: one new request for it, then hits again', async () => {
    const idp = new FakeTokenEndpoint({ accessTokenLifetimeSec: 60 }); // msal renews tokens expiring within 5 minutes
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store);
    const incoming = incomingToken(idp, 'ada');
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    expect(idp.calls.token.on_behalf_of).toBe(2);
    idp.accessTokenLifetimeSec = 3600;
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    const last = await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    expect(last.fromCache).toBe(true);
    expect(idp.calls.token.on_behalf_of).toBe(3);
  });

  it('an error from the endpoint reaches the caller; the next call asks again', async () => {
    const idp = new FakeTokenEndpoint();
    const clients = await webClients(idp, new MemoryPartitionedStore());
    const incoming = incomingToken(idp, 'ada');
    idp.failWithStatus = 503;
    await expect(clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH })).rejects.toThrow();
    idp.failWithStatus = undefined;
    const result = await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    expect(result.fromCache).toBe(false);
  });
});
