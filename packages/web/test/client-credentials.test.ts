// App tokens (client credentials) per client id + tenant, real msal-node.
import { MemoryPartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { describe, expect, it } from 'vitest';
import { appPartitionKey } from '../src/index.js';
import { API_CLIENT_ID, webClients } from './support/web-setup.js';

const GRAPH = ['https://graph.microsoft.com/.default'];
const VAULT = ['https://vault.azure.net/.default'];

describe('acquireTokenByClientCredential', () => {
  it('one request for the app + tenant; other instances sharing the store are served from its partition', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const first = await (await webClients(idp, store)).acquireTokenByClientCredential({ scopes: GRAPH });
    const second = await (await webClients(idp, store)).acquireTokenByClientCredential({ scopes: GRAPH });
    expect(second.fromCache).toBe(true);
    expect(second.accessToken).toBe(first.accessToken);
    expect(idp.calls.token.client_credentials).toBe(1);
    expect(await store.partition(appPartitionKey(API_CLIENT_ID, idp.tenantId)).persistence.load()).not.toBeNull();
  });

  it('appPartitionPerResource: one partition per resource, each holding one token', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const clients = await webClients(idp, store, { appPartitionPerResource: true });
    await clients.acquireTokenByClientCredential({ scopes: GRAPH });
    await clients.acquireTokenByClientCredential({ scopes: VAULT });
    expect(await store.partition(appPartitionKey(API_CLIENT_ID, idp.tenantId)).persistence.load()).toBeNull();
    for (const resource of ['https://graph.microsoft.com', 'https://vault.azure.net']) {
      const data = await store.partition(appPartitionKey(API_CLIENT_ID, idp.tenantId, resource)).persistence.load();
      const cache = JSON.parse(new TextDecoder().decode(data ?? new Uint8Array())) as { AccessToken: object };
      expect(Object.keys(cache.AccessToken)).toHaveLength(1);
    }
  });

  it('40 concurrent calls with nothing cached: 1 token request', async () => {
    const idp = new FakeTokenEndpoint({ latencyMs: 20 });
    const clients = await webClients(idp, new MemoryPartitionedStore());
    await Promise.all(Array.from({ length: 40 }, () => clients.acquireTokenByClientCredential({ scopes: GRAPH })));
    expect(idp.calls.token.client_credentials).toBe(1);
  });
});
