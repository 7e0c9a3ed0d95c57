// A public-client CLI: `sign-in` (device code), `token` (silent), `sign-out`, `status`.
// Offline by default against the fake token endpoint; set MSAL_CLIENT_ID and MSAL_AUTHORITY to use
// a real tenant instead. Output is one JSON line per command, so scripts (and the demo) can read it.
// The cache is encrypted (Secret Service, else the kernel keyring on Linux); ALLOW_PLAINTEXT=1
// accepts a 0600 plaintext file where no encrypted store works (a container refusing keyrings).
//
//   pnpm --filter @msal-persist/example-public-cli start sign-in
import { type AccountInfo, PublicClientApplication } from '@azure/msal-node';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { createCachePlugin } from '@msal-persist/msal-plugin';
import { exitWithOneLine } from '../shared/exit-with-one-line.js';

const scopes = ['User.Read'];

async function main(command: string): Promise<void> {
  const started = performance.now();
  const cachePlugin = await createCachePlugin({
    appName: process.env.APP_NAME ?? 'msal-persist-example-cli',
    ...(process.env.CACHE_PATH ? { cachePath: process.env.CACHE_PATH } : {}),
    ...(process.env.ACCOUNT_NAME ? { accountName: process.env.ACCOUNT_NAME } : {}),
    allowPlaintextFallback: process.env.ALLOW_PLAINTEXT === '1',
  });
  const setupMs = performance.now() - started;

  const offline = !process.env.MSAL_CLIENT_ID;
  const idp = new FakeTokenEndpoint();
  const app = new PublicClientApplication(
    offline
      ? {
          auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
          system: { networkClient: idp.networkClient },
          cache: { cachePlugin },
        }
      : {
          auth: {
            clientId: process.env.MSAL_CLIENT_ID ?? '',
            authority: process.env.MSAL_AUTHORITY ?? 'https://login.microsoftonline.com/organizations',
          },
          cache: { cachePlugin },
        },
  );

  async function firstAccount(): Promise<AccountInfo | undefined> {
    const [account] = await app.getTokenCache().getAllAccounts();
    return account;
  }

  const report: Record<string, unknown> = {
    command,
    pid: process.pid,
    backend: cachePlugin.backend,
    encrypted: cachePlugin.isEncrypted,
  };
  const callStart = performance.now();
  switch (command) {
    case 'sign-in': {
      const result = await app.acquireTokenByDeviceCode({
        scopes,
        deviceCodeCallback: (r) => console.error(r.message),
      });
      Object.assign(report, {
        user: result?.account?.username,
        source: result?.fromCache ? 'cache' : 'identity provider',
      });
      break;
    }
    case 'token': {
      const account = await firstAccount();
      if (!account) {
        Object.assign(report, { error: 'not signed in: run `sign-in` first' });
        process.exitCode = 2;
        break;
      }
      const result = await app.acquireTokenSilent({ scopes, account });
      Object.assign(report, { user: account.username, source: result.fromCache ? 'cache' : 'identity provider' });
      break;
    }
    case 'sign-out': {
      const account = await firstAccount();
      if (account) await app.getTokenCache().removeAccount(account);
      Object.assign(report, { signedOut: account?.username ?? null });
      break;
    }
    case 'status':
      Object.assign(report, { accounts: (await app.getTokenCache().getAllAccounts()).map((a) => a.username) });
      break;
    default:
      console.error(`public-cli: unknown command ${JSON.stringify(command)}; use sign-in, token, sign-out or status.`);
      process.exitCode = 64;
      return;
  }
  Object.assign(report, {
    networkCalls: offline ? idp.calls.total : 'n/a',
    setupMs: Number(setupMs.toFixed(1)),
    callMs: Number((performance.now() - callStart).toFixed(1)),
  });
  console.log(JSON.stringify(report));
}

// Not a top-level await, so the example also bundles as CommonJS.
void main(process.argv[2] ?? 'status').catch(exitWithOneLine('public-cli'));
