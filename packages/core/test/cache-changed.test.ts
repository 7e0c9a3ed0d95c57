import { on, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  CACHE_CHANGED,
  type CacheChangedEvent,
  MemoryLock,
  MemoryPersistence,
  PersistenceCachePlugin,
  textToBytes,
} from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';
import { GatedPersistence } from './support/gated-persistence.js';
import { BO, publicApp, SCOPES, signIn } from './support/msal-apps.js';
import { read, ScriptedTokenCache, write } from './support/scripted-token-cache.js';

type Change = Pick<CacheChangedEvent, 'accountsAdded' | 'accountsRemoved' | 'source'>;

function record(plugin: PersistenceCachePlugin): Change[] {
  const seen: Change[] = [];
  plugin.on(CACHE_CHANGED, ({ accountsAdded, accountsRemoved, source }) =>
    seen.push({ accountsAdded, accountsRemoved, source }),
  );
  return seen;
}

function twoProcesses() {
  const persistence = new MemoryPersistence();
  const lock = new MemoryLock();
  const pluginA = new PersistenceCachePlugin({ persistence, lock, logger: {} });
  const pluginB = new PersistenceCachePlugin({ persistence, lock, logger: {} });
  return { persistence, lock, pluginA, pluginB };
}

const cache = (ids: string[]) =>
  JSON.stringify({
    Account: Object.fromEntries(ids.map((id) => [`${id}-login.test-tenant`, { home_account_id: id }])),
  });

describe('cachechanged with real msal-node, offline', () => {
  it('tells another app of the same store, at its next cache access, who signed in and who signed out', async () => {
    const { pluginA, pluginB } = twoProcesses();
    const a = publicApp(new FakeTokenEndpoint(), pluginA);
    const idpB = new FakeTokenEndpoint({ user: BO });
    const b = publicApp(idpB, pluginB);
    const seenByB = record(pluginB);
    await b.getTokenCache().getAllAccounts();
    expect(seenByB).toEqual([]);

    const { account } = await signIn(a);
    expect(seenByB).toEqual([]); // B sees the store only when msal accesses it
    await b.getTokenCache().getAllAccounts();
    expect(seenByB).toEqual([{ accountsAdded: [account.homeAccountId], accountsRemoved: [], source: 'load' }]);

    await a.getTokenCache().removeAccount(account);
    await b.getTokenCache().getAllAccounts();
    expect(seenByB[1]).toEqual({ accountsAdded: [], accountsRemoved: [account.homeAccountId], source: 'load' });
    expect(seenByB).toHaveLength(2);
  });

  it("fires for this app's own sign-in (source save), and not for a refresh that keeps the same accounts", async () => {
    const { pluginA } = twoProcesses();
    const idp = new FakeTokenEndpoint({ accessTokenLifetimeSec: 60 }); // inside msal's renewal window: every silent call refreshes
    const a = publicApp(idp, pluginA);
    const seen = record(pluginA);
    const { account } = await signIn(a);
    expect(seen).toEqual([{ accountsAdded: [account.homeAccountId], accountsRemoved: [], source: 'save' }]);

    await a.acquireTokenSilent({ scopes: SCOPES, account });
    expect(idp.calls.token.refresh_token).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('a listener added late hears only the changes after it, not the accounts already there', async () => {
    const { pluginA, pluginB } = twoProcesses();
    const a = publicApp(new FakeTokenEndpoint(), pluginA);
    const b = publicApp(new FakeTokenEndpoint({ user: BO }), pluginB);
    await signIn(a);
    const seen = record(pluginA);
    const bo = await signIn(b);
    await a.getTokenCache().getAllAccounts();
    expect(seen).toEqual([{ accountsAdded: [bo.account.homeAccountId], accountsRemoved: [], source: 'load' }]);
  });

  it('checkForChanges() reports what another app did without any msal call, and once only', async () => {
    const { pluginA, pluginB } = twoProcesses();
    const b = publicApp(new FakeTokenEndpoint({ user: BO }), pluginB);
    const seen = record(pluginA);
    const { account } = await signIn(b);
    const event = await pluginA.checkForChanges();
    expect(event?.accountsAdded).toEqual([account.homeAccountId]);
    expect(event?.accounts).toEqual([account.homeAccountId]);
    expect(seen).toEqual([{ accountsAdded: [account.homeAccountId], accountsRemoved: [], source: 'load' }]);
    expect(await pluginA.checkForChanges()).toBeUndefined();
    // The msal app of A then loads the same accounts: nothing new to report.
    await publicApp(new FakeTokenEndpoint(), pluginA).getTokenCache().getAllAccounts();
    expect(seen).toHaveLength(1);
  });

  it("Node's events.once and events.on work on the plugin (they take it for an EventEmitter: it has on)", async () => {
    const { pluginA } = twoProcesses();
    const app = publicApp(new FakeTokenEndpoint(), pluginA);
    const first = once(pluginA, CACHE_CHANGED) as Promise<[CacheChangedEvent]>;
    const { account } = await signIn(app);
    const [event] = await first;
    expect(event.accountsAdded).toEqual([account.homeAccountId]);

    const stream = on(pluginA, CACHE_CHANGED);
    await app.getTokenCache().removeAccount(account);
    const next = await stream.next();
    expect((next.value as [CacheChangedEvent])[0].accountsRemoved).toEqual([account.homeAccountId]);
    await stream.return?.();
  });

  it('addEventListener with once, and removeEventListener / off, as on any EventTarget', async () => {
    const { pluginA } = twoProcesses();
    const app = publicApp(new FakeTokenEndpoint(), pluginA);
    let once = 0;
    let removed = 0;
    const listener = () => removed++;
    pluginA.addEventListener('cachechanged', () => once++, { once: true });
    pluginA.on('cachechanged', listener).off('cachechanged', listener);
    const { account } = await signIn(app);
    await app.getTokenCache().removeAccount(account);
    expect(once).toBe(1);
    expect(removed).toBe(0);
  });
});

describe('cachechanged ordering', () => {
  it('a read that loaded older content than a later save of the same plugin does not report it', async () => {
    const persistence = new GatedPersistence();
    const plugin = new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger: {} });
    const seen = record(plugin);
    const first = new ScriptedTokenCache();
    const second = new ScriptedTokenCache();
    await persistence.save(textToBytes(cache(['ada'])));
    await plugin.beforeCacheAccess(read(first));
    expect(seen).toEqual([{ accountsAdded: ['ada'], accountsRemoved: [], source: 'load' }]);

    await persistence.save(textToBytes(cache(['ada', 'bo']))); // another process adds bo
    const gate = persistence.holdNextLoad();
    const slowRead = plugin.beforeCacheAccess(read(second)); // loads {ada, bo}, then stalls
    await gate.reached;
    const context = write(first); // meanwhile the first app reloads {ada, bo} and removes bo
    await plugin.beforeCacheAccess(context);
    first.state = JSON.parse(cache(['ada']));
    await plugin.afterCacheAccess(context);
    gate.open();
    await slowRead;

    // bo came and went inside one write of this plugin; the stale read must not bring it back.
    expect(seen).toEqual([{ accountsAdded: ['ada'], accountsRemoved: [], source: 'load' }]);
    expect(await plugin.checkForChanges()).toBeUndefined();
  });
});
