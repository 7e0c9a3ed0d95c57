// A warm partition answers a repeated plain request (scopes, correlation id) from the last answer
// msal gave for it, while the partition's stamp has not moved and the token is outside msal's
// renewal window: no msal call, no walk of msal's memory. Anything else goes through msal.
import { ConfidentialClientApplication } from '@azure/msal-node';
import { MemoryPartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GRAPH, incomingToken, REDIRECT_URI, webClients } from './support/web-setup.js';

const SCOPES = ['User.Read'];

/** Counts msal's own token calls (the real methods still run). */
function msalCalls() {
  const silent = vi.spyOn(ConfidentialClientApplication.prototype, 'acquireTokenSilent');
  const obo = vi.spyOn(ConfidentialClientApplication.prototype, 'acquireTokenOnBehalfOf');
  const app = vi.spyOn(ConfidentialClientApplication.prototype, 'acquireTokenByClientCredential');
  return () => silent.mock.calls.length + obo.mock.calls.length + app.mock.calls.length;
}

async function signedIn(idp: FakeTokenEndpoint, store = new MemoryPartitionedStore()) {
  const clients = await webClients(idp, store);
  const result = await clients.acquireTokenByCode({
    code: idp.authorizationCode(FakeTokenEndpoint.userNamed('ada')),
    scopes: SCOPES,
    redirectUri: REDIRECT_URI,
  });
  return { clients, store, homeAccountId: result.account?.homeAccountId ?? '' };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('answers of a warm partition', () => {
  it('silent, on-behalf-of and app tokens: a repeated request is answered without calling msal, counted as a hit', async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    const incoming = incomingToken(idp, 'bob');
    // The first calls go through msal (and fill the answers).
    const first = {
      silent: await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES }),
      obo: await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH }),
      app: await clients.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }),
    };
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    await clients.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    const calls = msalCalls();
    const hits = clients.stats().cacheHits;
    const tokenRequests = idp.calls.token;
    for (let i = 0; i < 5; i++) {
      expect((await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES }))?.accessToken).toBe(
        first.silent?.accessToken,
      );
      const obo = await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
      expect(obo).toMatchObject({ accessToken: first.obo.accessToken, fromCache: true });
      const app = await clients.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      expect(app).toMatchObject({ accessToken: first.app.accessToken, fromCache: true });
    }
    expect(calls()).toBe(0);
    expect(clients.stats().cacheHits).toBe(hits + 15);
    expect(idp.calls.token).toEqual(tokenRequests);
  });

  it("each answer is the caller's own object: its correlation id, and changing it changes no later answer", async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const a = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES, correlationId: 'corr-a' });
    const b = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(a?.correlationId).toBe('corr-a');
    expect(b?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b?.correlationId).not.toBe(a?.correlationId);
    if (!a?.account || !b) throw new Error('no answer');
    const token = b.accessToken;
    a.accessToken = 'changed';
    a.scopes.push('changed');
    a.account.username = 'changed';
    const c = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(c).toMatchObject({ accessToken: token, scopes: b.scopes, account: { username: b.account?.username } });
  });

  it("a token inside msal's 5-minute renewal window is renewed by msal, not answered again", async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    const first = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const expiresOn = first?.expiresOn?.getTime() ?? 0;
    vi.useFakeTimers({ toFake: ['Date'], now: expiresOn - 4 * 60_000 });
    const refreshes = idp.calls.token.refresh_token;
    const renewed = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(idp.calls.token.refresh_token).toBe(refreshes + 1);
    expect(renewed?.accessToken).not.toBe(first?.accessToken);
    expect(renewed?.fromCache).toBe(false);
  });

  it('a clock turned back before the answer was kept goes through msal', async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const calls = msalCalls();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 60 * 60_000 });
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(calls()).toBeGreaterThan(0);
  });

  it('requests with more than scopes and a correlation id (forceRefresh, claims, authority) go through msal', async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const calls = msalCalls();
    const forced = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES, forceRefresh: true });
    expect(forced?.fromCache).toBe(false);
    const afterForced = calls();
    expect(afterForced).toBeGreaterThan(0);
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES, authority: idp.authority });
    const afterAuthority = calls();
    expect(afterAuthority).toBeGreaterThan(afterForced);
    await clients.acquireTokenSilent({
      homeAccountId,
      scopes: SCOPES,
      claims: '{"access_token":{"nbf":{"essential":true}}}',
    });
    expect(calls()).toBeGreaterThan(afterAuthority);
  });

  it('with warmClients 0 nothing is kept: every call goes through msal', async () => {
    const idp = new FakeTokenEndpoint();
    const { store, homeAccountId } = await signedIn(idp);
    const cold = await webClients(idp, store, { warmClients: 0 });
    await cold.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const calls = msalCalls();
    await cold.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const once = calls();
    expect(once).toBeGreaterThan(0);
    await cold.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(calls()).toBe(2 * once);
  });
});
