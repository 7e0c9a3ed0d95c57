import {
  type AccountInfo,
  ConfidentialClientApplication,
  type ICachePlugin,
  PublicClientApplication,
} from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { MemoryLock, MemoryPersistence, PersistenceCachePlugin } from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';

const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-00000000c11e';
const SCOPES = ['User.Read'];

function publicApp(idp: FakeTokenEndpoint, cachePlugin: ICachePlugin): PublicClientApplication {
  return new PublicClientApplication({
    auth: idp.authConfig(CLIENT_ID),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
}

function daemonApp(idp: FakeTokenEndpoint, cachePlugin: ICachePlugin): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
}

function plugin(persistence: MemoryPersistence, lock: MemoryLock) {
  return new PersistenceCachePlugin({ persistence, lock, logger: {} });
}

async function signIn(app: PublicClientApplication) {
  const result = await app.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => {} });
  if (!result?.account) throw new Error('device code sign-in returned no account');
  return { accessToken: result.accessToken, account: result.account };
}

describe('PersistenceCachePlugin with real msal-node, offline', () => {
  it('device code then 200 silent calls in the same process: no failure, no network', async () => {
    const idp = new FakeTokenEndpoint();
    const app = publicApp(idp, plugin(new MemoryPersistence(), new MemoryLock()));
    const signedIn = await signIn(app);
    expect(idp.calls.token.device_code).toBe(1);
    idp.resetCalls();
    for (let i = 0; i < 200; i++) {
      const silent = await app.acquireTokenSilent({ scopes: SCOPES, account: signedIn.account });
      expect(silent.accessToken).toBe(signedIn.accessToken);
      expect(silent.fromCache).toBe(true);
    }
    expect(idp.calls.total).toBe(0);
  });

  it('two applications sharing one MemoryPersistence see each other’s tokens', async () => {
    const persistence = new MemoryPersistence();
    const lock = new MemoryLock();
    const idpA = new FakeTokenEndpoint();
    const idpB = new FakeTokenEndpoint();
    const a = publicApp(idpA, plugin(persistence, lock));
    const b = publicApp(idpB, plugin(persistence, lock));
    const signedIn = await signIn(a);

    const [account] = await b.getTokenCache().getAllAccounts();
    expect(account?.username).toBe('ada@contoso.test');
    const silent = await b.acquireTokenSilent({ scopes: SCOPES, account: account as AccountInfo });
    expect(silent.accessToken).toBe(signedIn.accessToken);
    expect(idpB.calls.total).toBe(0);
  });

  it('redeems the refresh token when the access token expired, and the other app reuses the result', async () => {
    const persistence = new MemoryPersistence();
    const lock = new MemoryLock();
    // Tokens inside msal's 5-minute renewal window count as expired: every silent call must refresh.
    const idp = new FakeTokenEndpoint({ accessTokenLifetimeSec: 60 });
    const a = publicApp(idp, plugin(persistence, lock));
    const signedIn = await signIn(a);
    const refreshed = await a.acquireTokenSilent({ scopes: SCOPES, account: signedIn.account });
    expect(idp.calls.token.refresh_token).toBe(1);
    expect(refreshed.accessToken).not.toBe(signedIn.accessToken);

    idp.accessTokenLifetimeSec = 3600;
    const again = await a.acquireTokenSilent({ scopes: SCOPES, account: signedIn.account });
    expect(idp.calls.token.refresh_token).toBe(2);
    const idpB = new FakeTokenEndpoint();
    const b = publicApp(idpB, plugin(persistence, lock));
    const fromB = await b.acquireTokenSilent({ scopes: SCOPES, account: signedIn.account });
    expect(fromB.accessToken).toBe(again.accessToken);
    expect(idpB.calls.total).toBe(0);
  });

  it('persists account removal for the other application', async () => {
    const persistence = new MemoryPersistence();
    const lock = new MemoryLock();
    const idp = new FakeTokenEndpoint();
    const a = publicApp(idp, plugin(persistence, lock));
    const idpB = new FakeTokenEndpoint();
    const b = publicApp(idpB, plugin(persistence, lock));
    const signedIn = await signIn(a);
    expect(await b.getTokenCache().getAllAccounts()).toHaveLength(1);
    await a.getTokenCache().removeAccount(signedIn.account);
    expect(await b.getTokenCache().getAllAccounts()).toHaveLength(0);
    expect(await a.getTokenCache().getAllAccounts()).toHaveLength(0);
    const stored = JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined)) as {
      Account: object;
      RefreshToken: object;
    };
    expect(Object.keys(stored.Account)).toHaveLength(0);
    expect(Object.keys(stored.RefreshToken)).toHaveLength(0);

    // b had the account in memory before it reloaded; its next write must not bring it back.
    idpB.user = { oid: '00000000-0000-4000-8000-0000000000b0', name: 'Bo', username: 'bo@contoso.test' };
    await signIn(b);
    const names = (await a.getTokenCache().getAllAccounts()).map((acc) => acc.username);
    expect(names).toEqual(['bo@contoso.test']);
  });

  it('serves client-credential tokens to a second daemon instance from the cache', async () => {
    const persistence = new MemoryPersistence();
    const lock = new MemoryLock();
    const idpA = new FakeTokenEndpoint();
    const first = daemonApp(idpA, plugin(persistence, lock));
    const scopes = ['https://graph.microsoft.com/.default'];
    const acquired = await first.acquireTokenByClientCredential({ scopes });
    expect(idpA.calls.token.client_credentials).toBe(1);
    expect(acquired?.fromCache).toBe(false);

    const idpB = new FakeTokenEndpoint();
    const second = daemonApp(idpB, plugin(persistence, lock));
    const cached = await second.acquireTokenByClientCredential({ scopes });
    expect(cached?.accessToken).toBe(acquired?.accessToken);
    expect(cached?.fromCache).toBe(true);
    expect(idpB.calls.total).toBe(0);
  });
});
