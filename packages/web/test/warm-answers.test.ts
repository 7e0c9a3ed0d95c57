// A warm partition answers a repeated plain request (scopes, correlation id) from the last answer
// msal gave for it, while the partition's stamp has not moved and the token is outside msal's
// renewal window: no msal call, no walk of msal's memory. Anything else goes through msal.
import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  type CachePartition,
  MemoryPartitionedStore,
  type PartitionedStore,
  type Persistence,
} from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appPartitionKey } from '../src/index.js';
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

/**
 * A memory store whose loads, while `gated`, read the bytes at once and answer only when the test
 * lets them: two calls on one warm instance can then be made to finish their loads in either order.
 */
function gatedStore() {
  const inner = new MemoryPartitionedStore();
  const waiting: Array<() => void> = [];
  const gate = { on: false };
  const store: PartitionedStore = {
    name: inner.name,
    isEncrypted: inner.isEncrypted,
    close: () => inner.close(),
    partition(key: string): CachePartition {
      const { persistence: stored, lock } = inner.partition(key);
      const persistence: Persistence = {
        name: stored.name,
        isEncrypted: stored.isEncrypted,
        stamp: () => stored.stamp(),
        save: (data, options) => stored.save(data, options),
        delete: () => stored.delete(),
        keepAside: async () => stored.keepAside?.(),
        load: async () => {
          const data = await stored.load();
          if (gate.on) await new Promise<void>((resolve) => waiting.push(resolve));
          return data;
        },
      };
      return { key, persistence, lock };
    },
  };
  const loadsWaiting = async (count: number) => {
    while (waiting.length < count) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { inner, store, gate, waiting, loadsWaiting };
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
    const keptHits = clients.stats().keptAnswers.hits;
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
    expect(clients.stats().keptAnswers.hits).toBe(keptHits + 15);
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
    if (!a?.account || !b?.account) throw new Error('no answer');
    const token = b.accessToken;
    const scopes = [...b.scopes];
    const username = b.account.username;
    a.accessToken = 'changed';
    a.scopes.push('changed');
    a.account.username = 'changed';
    expect(b).toMatchObject({ accessToken: token, scopes, account: { username } });
    const c = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(c).toMatchObject({ accessToken: token, scopes, account: { username } });
  });

  it("a kept answer is msal's answer as msal gave it: dates, the account's tenant profiles (a Map), fields left undefined", async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    const fromMsal = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES, correlationId: 'corr' });
    const calls = msalCalls();
    const kept = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES, correlationId: 'corr' });
    expect(calls()).toBe(0);
    expect(fromMsal?.account?.tenantProfiles).toBeInstanceOf(Map);
    expect(Object.entries(fromMsal ?? {}).some(([, value]) => value === undefined)).toBe(true);
    expect(kept).toStrictEqual(fromMsal);
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

  it('an answer msal gave from a load older than the stamp read before it is not kept (two calls racing a delete)', async () => {
    const idp = new FakeTokenEndpoint();
    const { inner, store, gate, waiting, loadsWaiting } = gatedStore();
    const clients = await webClients(idp, store);
    const graph = ['https://graph.microsoft.com/.default'];
    const other = ['api://other/.default'];
    await clients.acquireTokenByClientCredential({ scopes: graph });
    const old = await clients.acquireTokenByClientCredential({ scopes: other });
    gate.on = true;
    // W reads the stamp, then its load of the partition (with both tokens) is held.
    const w = clients.acquireTokenByClientCredential({ scopes: graph });
    await loadsWaiting(1);
    // Another process deletes the partition; X reads the new stamp, and its load (empty) is held.
    const tenant = new URL(idp.authority).pathname.split('/').find(Boolean) ?? '';
    await inner.partition(appPartitionKey(clients.clientId, tenant)).persistence.delete();
    const x = clients.acquireTokenByClientCredential({ scopes: other });
    await loadsWaiting(2);
    gate.on = false;
    // W's older load lands first; X's newer one is then dropped by the plugin (msal's memory moved).
    waiting[0]?.();
    await w;
    waiting[1]?.();
    const raced = await x;
    expect(raced.accessToken).toBe(old.accessToken); // msal answered from W's load: what the race gives
    // The next call must not be answered from that: the partition was deleted.
    const after = await clients.acquireTokenByClientCredential({ scopes: other });
    expect(after.accessToken).not.toBe(old.accessToken);
    expect(after.fromCache).toBe(false);
  });

  it('an app token or on-behalf-of answer is not given again once another process renewed it', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const a = await webClients(idp, store);
    const b = await webClients(idp, store); // another process
    const scopes = ['https://graph.microsoft.com/.default'];
    const incoming = incomingToken(idp, 'bob');
    const first = {
      app: await a.acquireTokenByClientCredential({ scopes }),
      obo: await a.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH }),
    };
    await a.acquireTokenByClientCredential({ scopes });
    await a.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    const renewed = {
      app: await b.acquireTokenByClientCredential({ scopes, skipCache: true }),
      obo: await b.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH, skipCache: true }),
    };
    expect(renewed.app.accessToken).not.toBe(first.app.accessToken);
    expect(renewed.obo.accessToken).not.toBe(first.obo.accessToken);
    expect((await a.acquireTokenByClientCredential({ scopes })).accessToken).toBe(renewed.app.accessToken);
    expect((await a.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH })).accessToken).toBe(
      renewed.obo.accessToken,
    );
  });

  it('with keptAnswersMaxBytes 0 nothing is kept: every call goes through msal', async () => {
    const idp = new FakeTokenEndpoint();
    const { store, homeAccountId } = await signedIn(idp);
    const cold = await webClients(idp, store, { keptAnswersMaxBytes: 0 });
    await cold.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const calls = msalCalls();
    await cold.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    const once = calls();
    expect(once).toBeGreaterThan(0);
    await cold.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(calls()).toBe(2 * once);
  });

  it('answers are kept for more partitions than warm instances: with warmClients 0 and 1, repeats of three users and three callers skip msal', async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const signIn = await webClients(idp, store);
    const users: string[] = [];
    for (const name of ['ada', 'bob', 'cy']) {
      const result = await signIn.acquireTokenByCode({
        code: idp.authorizationCode(FakeTokenEndpoint.userNamed(name)),
        scopes: SCOPES,
        redirectUri: REDIRECT_URI,
      });
      users.push(result.account?.homeAccountId ?? '');
    }
    const callers = ['dee', 'eve', 'fay'].map((name) => incomingToken(idp, name));
    for (const oboAssertion of callers) await signIn.acquireTokenOnBehalfOf({ oboAssertion, scopes: GRAPH });
    for (const warmClients of [0, 1]) {
      const clients = await webClients(idp, store, { warmClients });
      const first = new Map<string, string | undefined>();
      for (const homeAccountId of users)
        first.set(homeAccountId, (await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES }))?.accessToken);
      for (const oboAssertion of callers)
        first.set(oboAssertion, (await clients.acquireTokenOnBehalfOf({ oboAssertion, scopes: GRAPH })).accessToken);
      const calls = msalCalls();
      const tokenRequests = idp.calls.token;
      for (const homeAccountId of users) {
        const again = await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
        expect(again).toMatchObject({ accessToken: first.get(homeAccountId), fromCache: true });
      }
      for (const oboAssertion of callers) {
        const again = await clients.acquireTokenOnBehalfOf({ oboAssertion, scopes: GRAPH });
        expect(again).toMatchObject({ accessToken: first.get(oboAssertion), fromCache: true });
      }
      expect({ warmClients, calls: calls() }).toEqual({ warmClients, calls: 0 });
      expect(idp.calls.token).toEqual(tokenRequests);
      vi.restoreAllMocks();
    }
  });

  it("keptAnswersMaxBytes bounds what is kept: with room for one answer, the least recently used partition's repeat goes through msal", async () => {
    const idp = new FakeTokenEndpoint();
    const store = new MemoryPartitionedStore();
    const signIn = await webClients(idp, store);
    const users: string[] = [];
    for (const name of ['ada', 'bob']) {
      const result = await signIn.acquireTokenByCode({
        code: idp.authorizationCode(FakeTokenEndpoint.userNamed(name)),
        scopes: SCOPES,
        redirectUri: REDIRECT_URI,
      });
      users.push(result.account?.homeAccountId ?? '');
    }
    const [ada = '', bob = ''] = users;
    // One answer: about 3.6 KB with the fake endpoint's tokens (its serialized 3.2 KB and 0.4 KB).
    const clients = await webClients(idp, store, { keptAnswersMaxBytes: 5000 });
    await clients.acquireTokenSilent({ homeAccountId: ada, scopes: SCOPES });
    await clients.acquireTokenSilent({ homeAccountId: bob, scopes: SCOPES });
    const calls = msalCalls();
    await clients.acquireTokenSilent({ homeAccountId: bob, scopes: SCOPES });
    expect(calls()).toBe(0);
    await clients.acquireTokenSilent({ homeAccountId: ada, scopes: SCOPES });
    expect(calls()).toBeGreaterThan(0);
    const { partitions, bytes, evictions } = clients.stats().keptAnswers;
    expect({ partitions, evictions }).toEqual({ partitions: 1, evictions: 2 });
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(5000);
  });

  it('keptAnswersMaxBytes bounds one partition too: answers for two scope sets with room for one keep one', async () => {
    const idp = new FakeTokenEndpoint();
    const { store, homeAccountId } = await signedIn(idp);
    const clients = await webClients(idp, store, { keptAnswersMaxBytes: 5000 });
    const other = ['Mail.Read'];
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    // The first call for other scopes redeems the refresh token; the second is msal's cache hit, kept.
    await clients.acquireTokenSilent({ homeAccountId, scopes: other });
    await clients.acquireTokenSilent({ homeAccountId, scopes: other });
    const { partitions, bytes } = clients.stats().keptAnswers;
    expect(partitions).toBe(1);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(5000);
    // The newer answer is the one kept.
    const calls = msalCalls();
    await clients.acquireTokenSilent({ homeAccountId, scopes: other });
    expect(calls()).toBe(0);
  });

  it("a sign-out here forgets the partition's answers: the next silent call finds no account", async () => {
    const idp = new FakeTokenEndpoint();
    const { clients, homeAccountId } = await signedIn(idp);
    await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES });
    expect(clients.stats().keptAnswers.partitions).toBe(1);
    await clients.signOut(homeAccountId);
    expect(clients.stats().keptAnswers.partitions).toBe(0);
    expect(await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES })).toBeNull();
  });

  it('keptAnswersMaxBytes must be a whole number >= 0', async () => {
    const idp = new FakeTokenEndpoint();
    for (const keptAnswersMaxBytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(webClients(idp, new MemoryPartitionedStore(), { keptAnswersMaxBytes })).rejects.toThrow(
        /keptAnswersMaxBytes/,
      );
  });
});
