// A confidential-client daemon (client credentials). The first run acquires tokens from the
// identity provider; later runs, and other replicas on this machine, are served from the cache.
// Offline by default against the fake token endpoint; set MSAL_CLIENT_ID, MSAL_CLIENT_SECRET and
// MSAL_AUTHORITY for a real tenant. The cache is encrypted (on a headless Linux server: the kernel
// keyring); ALLOW_PLAINTEXT=1 accepts a 0600 plaintext file where no encrypted store works.
//
//   pnpm --filter @msal-persist/example-daemon start https://graph.microsoft.com/.default
import { ConfidentialClientApplication } from '@azure/msal-node';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { createCachePlugin } from '@msal-persist/msal-plugin';
import { exitWithOneLine } from '../shared/exit-with-one-line.js';

async function main(resources: string[]): Promise<void> {
  const cachePlugin = await createCachePlugin({
    appName: process.env.APP_NAME ?? 'msal-persist-example-daemon',
    ...(process.env.CACHE_PATH ? { cachePath: process.env.CACHE_PATH } : {}),
    ...(process.env.ACCOUNT_NAME ? { accountName: process.env.ACCOUNT_NAME } : {}),
    allowPlaintextFallback: process.env.ALLOW_PLAINTEXT === '1',
  });

  const offline = !process.env.MSAL_CLIENT_ID;
  const idp = new FakeTokenEndpoint();
  const app = new ConfidentialClientApplication(
    offline
      ? {
          auth: { ...idp.authConfig('aaaaaaaa-0000-4000-8000-0000000dae70'), clientSecret: 'offline-demo-secret' },
          system: { networkClient: idp.networkClient },
          cache: { cachePlugin },
        }
      : {
          auth: {
            clientId: process.env.MSAL_CLIENT_ID ?? '',
            clientSecret: process.env.MSAL_CLIENT_SECRET ?? '',
            authority: process.env.MSAL_AUTHORITY ?? '',
          },
          cache: { cachePlugin },
        },
  );

  const tokens: Array<{ scope: string; source: string; token: string }> = [];
  for (const scope of resources) {
    const result = await app.acquireTokenByClientCredential({ scopes: [scope] });
    if (!result) throw new Error(`no token for ${scope}`);
    // Never print real tokens; the offline fake ones let tests check that nothing was lost.
    tokens.push({
      scope,
      source: result.fromCache ? 'cache' : 'identity provider',
      token: offline ? result.accessToken : '<redacted>',
    });
  }
  console.log(
    JSON.stringify({
      pid: process.pid,
      backend: cachePlugin.backend,
      encrypted: cachePlugin.isEncrypted,
      networkCalls: offline ? idp.calls.total : 'n/a',
      tokens,
    }),
  );
}

const resources = process.argv.slice(2);
// Not a top-level await, so the example also bundles as CommonJS.
void main(resources.length > 0 ? resources : ['https://graph.microsoft.com/.default']).catch(exitWithOneLine('daemon'));
