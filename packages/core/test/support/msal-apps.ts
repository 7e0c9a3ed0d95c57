import {
  type AccountInfo,
  ConfidentialClientApplication,
  type ICachePlugin,
  PublicClientApplication,
} from '@azure/msal-node';
import type { FakeTokenEndpoint, FakeUser } from '../../src/testing/index.js';

export const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-00000000c11e';
export const SCOPES = ['User.Read'];

/** FakeTokenEndpoint's default user. */
export const ADA: FakeUser = {
  oid: '00000000-0000-4000-8000-00000000a11c',
  name: 'Ada Lovelace',
  username: 'ada@contoso.test',
};
export const BO: FakeUser = { oid: '00000000-0000-4000-8000-0000000000b0', name: 'Bo', username: 'bo@contoso.test' };
export const CY: FakeUser = { oid: '00000000-0000-4000-8000-0000000000c0', name: 'Cy', username: 'cy@contoso.test' };

export function publicApp(idp: FakeTokenEndpoint, cachePlugin: ICachePlugin): PublicClientApplication {
  return new PublicClientApplication({
    auth: idp.authConfig(CLIENT_ID),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
}

export function daemonApp(idp: FakeTokenEndpoint, cachePlugin: ICachePlugin): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
}

/** A device code sign-in of `idp.user`. */
export async function signIn(app: PublicClientApplication): Promise<{ accessToken: string; account: AccountInfo }> {
  const result = await app.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => {} });
  if (!result?.account) throw new Error('device code sign-in returned no account');
  return { accessToken: result.accessToken, account: result.account };
}

/** The usernames msal finds in `app`'s cache, sorted. */
export async function usernames(app: PublicClientApplication): Promise<string[]> {
  return (await app.getTokenCache().getAllAccounts()).map((account) => account.username).sort();
}
