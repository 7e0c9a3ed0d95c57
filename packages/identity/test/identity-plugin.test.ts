import { ClientSecretCredential, useIdentityPlugin } from '@azure/identity';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { describe, expect, it } from 'vitest';
import { cachePersistencePlugin, type TokenCachePersistenceOptions } from '../src/index.js';
import { cachePluginControl } from '../src/plugin-context.js';
import { FakeTokenEndpointHttpClient } from '../src/testing/index.js';

const idp = new FakeTokenEndpoint();
const offline = { authorityHost: `https://${idp.host}`, httpClient: new FakeTokenEndpointHttpClient(idp) };

function credential(tokenCachePersistenceOptions: TokenCachePersistenceOptions) {
  return new ClientSecretCredential(idp.tenantId, 'aaaaaaaa-0000-4000-8000-0000000dae70', 'secret', {
    ...offline,
    tokenCachePersistenceOptions,
  });
}

describe('the plugin in @azure/identity 4.13.1', () => {
  it('identity calls the factory twice at construction: .nocae and .cae, or twice the user’s name', () => {
    const names: Array<string | undefined> = [];
    useIdentityPlugin((context) => {
      cachePluginControl(context).setPersistence((options) => {
        names.push(options?.name);
        return new Promise(() => {});
      });
    });
    credential({ enabled: true });
    credential({ enabled: true, name: 'my-app' });
    expect(names).toEqual(['msal.cache.nocae', 'msal.cache.cae', 'my-app', 'my-app']);
  });

  it('refuses a context without cachePluginControl, saying which identity it needs', () => {
    expect(() => cachePersistencePlugin({})).toThrow(/@azure\/identity is 4\.x/);
    expect(() => cachePersistencePlugin(undefined)).toThrow(TypeError);
  });

  it('a bad cache name is a TypeError from getToken, not at construction', async () => {
    useIdentityPlugin(cachePersistencePlugin);
    const bad = credential({ enabled: true, name: '../escape' });
    await expect(bad.getToken('api://x/.default')).rejects.toThrow(/plain file name/);
    expect(idp.calls.total).toBe(0);
  });
});
