// `pnpm demo`: a real msal-node device-code sign-in against the offline fake token endpoint,
// persisted through the msal-persist plugin, then a second application instance that gets its
// token silently from the shared cache. Prints where each token came from and how long it took.
import { PublicClientApplication } from '@azure/msal-node';
import { MemoryLock, MemoryPersistence, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';

const clientId = 'aaaaaaaa-0000-4000-8000-00000000de70';
const scopes = ['User.Read'];
const persistence = new MemoryPersistence('memory:demo');
const lock = new MemoryLock();

function app(idp: FakeTokenEndpoint) {
  return new PublicClientApplication({
    auth: idp.authConfig(clientId),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin: new PersistenceCachePlugin({ persistence, lock }) },
  });
}

const ms = (start: number) => `${(performance.now() - start).toFixed(1)} ms`;

const idp1 = new FakeTokenEndpoint();
let start = performance.now();
const signedIn = await app(idp1).acquireTokenByDeviceCode({
  scopes,
  deviceCodeCallback: (r) => console.log(`[instance 1] ${r.message}`),
});
if (!signedIn?.account) throw new Error('sign-in returned no account');
console.log(
  `[instance 1] signed in as ${signedIn.account.username} via device code: token from the identity provider ` +
    `(${idp1.calls.total} network calls) in ${ms(start)}; cache: ${persistence.name}`,
);

const idp2 = new FakeTokenEndpoint();
const second = app(idp2);
start = performance.now();
const [account] = await second.getTokenCache().getAllAccounts();
if (!account) throw new Error('instance 2 sees no account');
const silent = await second.acquireTokenSilent({ scopes, account });
console.log(
  `[instance 2] token for ${account.username} from the ${silent.fromCache ? 'cache' : 'identity provider'} ` +
    `(${idp2.calls.total} network calls) in ${ms(start)}; same token: ${silent.accessToken === signedIn.accessToken}`,
);
if (!silent.fromCache || idp2.calls.total !== 0) process.exit(1);
