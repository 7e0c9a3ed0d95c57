import type { PartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { WebClients, type WebClientsOptions } from '../../src/index.js';

export const API_CLIENT_ID = 'aaaaaaaa-0000-4000-8000-0000000000a9';
export const GRAPH = ['https://graph.microsoft.com/User.Read'];
export const REDIRECT_URI = 'http://localhost:3000/redirect';

/** WebClients for the fake tenant's API app, offline, over `store`. */
export function webClients(
  idp: FakeTokenEndpoint,
  store: PartitionedStore,
  extra: Partial<WebClientsOptions> = {},
): Promise<WebClients> {
  return WebClients.create({
    store,
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
    logger: {},
    ...extra,
  });
}

/** The token a client app of `name` would send to the API. */
export function incomingToken(idp: FakeTokenEndpoint, name: string): string {
  return idp.issueAccessToken(FakeTokenEndpoint.userNamed(name), { audience: `api://${API_CLIENT_ID}` });
}
