// The fake token endpoint's web grants (authorization code, on-behalf-of) and JWT-shaped tokens,
// driven by real msal-node: what the web helpers and examples rely on.
import { ConfidentialClientApplication } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { FakeTokenEndpoint, fakeTokenClaims } from '../src/testing/fake-token-endpoint.js';

const API_CLIENT_ID = 'aaaaaaaa-0000-4000-8000-0000000000a9';
const REDIRECT_URI = 'http://localhost:3000/redirect';

function confidentialApp(idp: FakeTokenEndpoint): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
  });
}

describe('FakeTokenEndpoint web grants with real msal-node', () => {
  it('auth code: the code of a user redeems to tokens whose claims name that user', async () => {
    const idp = new FakeTokenEndpoint();
    const grace = FakeTokenEndpoint.userNamed('grace');
    const result = await confidentialApp(idp).acquireTokenByCode({
      code: idp.authorizationCode(grace),
      scopes: ['User.Read'],
      redirectUri: REDIRECT_URI,
    });
    expect(idp.calls.token.authorization_code).toBe(1);
    expect(result.account?.homeAccountId).toBe(`${grace.oid}.${idp.tenantId}`);
    expect(result.account?.username).toBe('grace@contoso.test');
    const claims = fakeTokenClaims(result.accessToken);
    expect(claims).toMatchObject({
      oid: grace.oid,
      name: 'grace',
      tid: idp.tenantId,
      idtyp: 'user',
      azp: API_CLIENT_ID,
    });
    expect(claims.scp).toBe('User.Read');
  });

  it('on-behalf-of: the downstream token carries the caller of the incoming token, and a second call is served from the cache', async () => {
    const idp = new FakeTokenEndpoint();
    const app = confidentialApp(idp);
    const ada = FakeTokenEndpoint.userNamed('ada');
    const incoming = idp.issueAccessToken(ada, { audience: `api://${API_CLIENT_ID}` });
    expect(fakeTokenClaims(incoming)).toMatchObject({
      aud: `api://${API_CLIENT_ID}`,
      oid: ada.oid,
      scp: 'access_as_user',
    });

    const first = await app.acquireTokenOnBehalfOf({
      oboAssertion: incoming,
      scopes: ['https://graph.microsoft.com/User.Read'],
    });
    expect(first?.fromCache).toBe(false);
    expect(fakeTokenClaims(first?.accessToken ?? '')).toMatchObject({
      oid: ada.oid,
      name: 'ada',
      aud: 'https://graph.microsoft.com',
      azp: API_CLIENT_ID,
    });
    const second = await app.acquireTokenOnBehalfOf({
      oboAssertion: incoming,
      scopes: ['https://graph.microsoft.com/User.Read'],
    });
    expect(second?.fromCache).toBe(true);
    expect(second?.accessToken).toBe(first?.accessToken);
    expect(idp.calls.token.on_behalf_of).toBe(1);
  });

  it('on-behalf-of with an assertion that is not a token of this tenant: invalid_grant', async () => {
    const idp = new FakeTokenEndpoint();
    const other = new FakeTokenEndpoint({ tenantId: '00000000-0000-4000-8000-0000000000bb' });
    const foreign = other.issueAccessToken(FakeTokenEndpoint.userNamed('eve'), { audience: 'api://x' });
    const app = confidentialApp(idp);
    await expect(app.acquireTokenOnBehalfOf({ oboAssertion: foreign, scopes: ['User.Read'] })).rejects.toThrow(
      /invalid_grant/,
    );
    await expect(app.acquireTokenOnBehalfOf({ oboAssertion: 'not-a-jwt', scopes: ['User.Read'] })).rejects.toThrow(
      /invalid_grant/,
    );
  });

  it('client credentials: an app token (idtyp app, no user claims) for the resource asked', async () => {
    const idp = new FakeTokenEndpoint();
    const result = await confidentialApp(idp).acquireTokenByClientCredential({
      scopes: ['https://vault.azure.net/.default'],
    });
    const claims = fakeTokenClaims(result?.accessToken ?? '');
    expect(claims).toMatchObject({ aud: 'https://vault.azure.net', idtyp: 'app', azp: API_CLIENT_ID });
    expect(claims.oid).toBeUndefined();
  });

  it('userNamed: the same name gives the same user in every instance, different names different users', () => {
    expect(FakeTokenEndpoint.userNamed('ada')).toEqual(FakeTokenEndpoint.userNamed('ada'));
    expect(FakeTokenEndpoint.userNamed('ada').oid).not.toBe(FakeTokenEndpoint.userNamed('adb').oid);
    expect(FakeTokenEndpoint.userNamed('ada').oid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(() => FakeTokenEndpoint.userNamed('')).toThrow(TypeError);
  });

  it('serves the authority metadata and instance discovery documents msal would fetch, counted', async () => {
    const idp = new FakeTokenEndpoint();
    const config = await idp.networkClient.sendGetRequestAsync<{ token_endpoint: string }>(
      `${idp.authority}/v2.0/.well-known/openid-configuration`,
    );
    expect(config.body.token_endpoint).toBe(`${idp.authority}/oauth2/v2.0/token`);
    const discovery = await idp.networkClient.sendGetRequestAsync<{ metadata: unknown[] }>(
      `https://${idp.host}/common/discovery/instance?api-version=1.1`,
    );
    expect(discovery.body.metadata).toHaveLength(1);
    expect(idp.calls.metadata).toBe(2);
  });

  it('fakeTokenClaims rejects what is not JWT-shaped', () => {
    expect(() => fakeTokenClaims('at.user.1')).toThrow(TypeError);
    expect(() => fakeTokenClaims('a.%%%.c')).toThrow(TypeError);
  });
});
