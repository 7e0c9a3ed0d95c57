// @azure/identity with a persistent, OS-encrypted token cache. Coming from
// @azure/identity-cache-persistence, the switch is the import line below; `useIdentityPlugin` and
// `tokenCachePersistenceOptions` stay as they were. The first run gets tokens from the identity
// provider; later runs (and other processes) are served from the cache.
//
// Offline by default, against the fake token endpoint; set AZURE_TENANT_ID, AZURE_CLIENT_ID and
// AZURE_CLIENT_SECRET for a real tenant. Offline runs add fake-tenant tokens (authority
// login.msal-persist.test) to the same cache real ones use, as any app of this plugin shares it.
// The cache is encrypted (on a headless Linux: the kernel keyring); ALLOW_PLAINTEXT=1 accepts a 0600
// plaintext file where no encrypted store works.
//
//   pnpm --filter @msal-persist/example-identity start [scope …]
import { ClientSecretCredential, useIdentityPlugin } from '@azure/identity';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { cachePersistencePlugin } from '@msal-persist/identity'; // was: '@azure/identity-cache-persistence'
import { FakeTokenEndpointHttpClient } from '@msal-persist/identity/testing';
import { exitWithOneLine } from '../shared/exit-with-one-line.js';

useIdentityPlugin(cachePersistencePlugin);

async function main(scopes: string[]): Promise<void> {
  const offline = !process.env.AZURE_CLIENT_ID;
  const idp = new FakeTokenEndpoint();
  const tokenCachePersistenceOptions = {
    enabled: true,
    unsafeAllowUnencryptedStorage: process.env.ALLOW_PLAINTEXT === '1',
  };
  const credential = offline
    ? new ClientSecretCredential(idp.tenantId, 'aaaaaaaa-0000-4000-8000-0000000dae70', 'offline-demo-secret', {
        authorityHost: `https://${idp.host}`,
        httpClient: new FakeTokenEndpointHttpClient(idp),
        tokenCachePersistenceOptions,
      })
    : new ClientSecretCredential(
        process.env.AZURE_TENANT_ID ?? '',
        process.env.AZURE_CLIENT_ID ?? '',
        process.env.AZURE_CLIENT_SECRET ?? '',
        { tokenCachePersistenceOptions },
      );

  const tokens: Record<string, string> = {};
  for (const scope of scopes) {
    const { token } = await credential.getToken(scope);
    // Never print real tokens; the offline fake ones let a test check that they came back.
    tokens[scope] = offline ? token : '<redacted>';
  }
  console.log(JSON.stringify({ pid: process.pid, networkCalls: offline ? idp.calls.total : 'n/a', tokens }));
}

const scopes = process.argv.slice(2);
// Not a top-level await, so the example also bundles as CommonJS.
void main(scopes.length > 0 ? scopes : ['https://graph.microsoft.com/.default']).catch(exitWithOneLine('identity'));
