// Building a ConfidentialClientApplication per request costs no network call: the authority's
// metadata is read once per WebClients, not once per instance as msal-node does.
import { ConfidentialClientApplication } from '@azure/msal-node';
import { MemoryPartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { describe, expect, it } from 'vitest';
import { WebClients } from '../src/index.js';
import { API_CLIENT_ID, GRAPH, incomingToken } from './support/web-setup.js';

function withoutMetadata(idp: FakeTokenEndpoint) {
  const { authorityMetadata: _a, cloudDiscoveryMetadata: _c, ...auth } = idp.authConfig(API_CLIENT_ID);
  return { ...auth, clientSecret: 'fake-secret' };
}

describe('a client per request', () => {
  it('settings without metadata: one metadata read at create, none for 30 calls each on new instances after', async () => {
    const idp = new FakeTokenEndpoint();
    const clients = await WebClients.create({
      store: new MemoryPartitionedStore(),
      auth: withoutMetadata(idp),
      system: { networkClient: idp.networkClient },
      logger: {},
      // An instance per call, as msal-node's docs tell web apps to do, and no answer kept.
      warmClients: 0,
      keptAnswersMaxBytes: 0,
    });
    expect(idp.calls.metadata).toBe(1);
    const incoming = incomingToken(idp, 'ada');
    for (let i = 0; i < 30; i++) await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    expect(idp.calls.metadata).toBe(1);
    expect(idp.calls.total).toBe(2);
    expect(clients.stats().clientsBuilt).toBeGreaterThanOrEqual(30);
  });

  it('what it spares: msal-node reads the metadata again in every new instance', async () => {
    const idp = new FakeTokenEndpoint();
    const incoming = incomingToken(idp, 'ada');
    for (let i = 0; i < 3; i++) {
      const app = new ConfidentialClientApplication({
        auth: withoutMetadata(idp),
        system: { networkClient: idp.networkClient },
      });
      await app.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    }
    expect(idp.calls.metadata).toBe(3);
  });

  it('settings with metadata: nothing is fetched, clientFor makes no request', async () => {
    const idp = new FakeTokenEndpoint();
    const clients = await WebClients.create({
      store: new MemoryPartitionedStore(),
      auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'fake-secret' },
      system: { networkClient: idp.networkClient },
    });
    for (let i = 0; i < 100; i++) clients.clientFor(`user:${i}`);
    expect(idp.calls.total).toBe(0);
  });

  it('metadata that cannot be read: NotAvailable naming the authority and what to pass instead', async () => {
    const idp = new FakeTokenEndpoint();
    idp.failWithStatus = 500;
    await expect(
      WebClients.create({
        store: new MemoryPartitionedStore(),
        auth: withoutMetadata(idp),
        system: { networkClient: idp.networkClient },
      }),
    ).rejects.toMatchObject({ code: 'NotAvailable', message: expect.stringContaining('auth.authorityMetadata') });
  });
});
