import { InteractionRequiredAuthError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { isPersistenceError, MemoryLock, MemoryPersistence, PersistenceCachePlugin } from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';
import { publicApp, SCOPES, signIn } from './support/msal-apps.js';

function setup(options: { lockTimeoutMs?: number; onSaveError?: 'throw' | 'warn' } = {}) {
  const persistence = new MemoryPersistence();
  const lock = new MemoryLock();
  const plugin = () => new PersistenceCachePlugin({ persistence, lock, logger: {}, ...options });
  return { persistence, lock, plugin };
}

describe('PersistenceCachePlugin.clear() with real msal-node, offline', () => {
  it('signs every app of the store out: one that still holds the tokens in memory finds none at its next access', async () => {
    const { persistence, plugin } = setup();
    const idp = new FakeTokenEndpoint();
    const other = publicApp(idp, plugin());
    const { account } = await signIn(other);
    const clearing = plugin();
    const changes: Array<[string, readonly string[], readonly string[]]> = [];
    clearing.on('cachechanged', (event) => changes.push([event.source, event.accountsAdded, event.accountsRemoved]));
    await publicApp(new FakeTokenEndpoint(), clearing).getTokenCache().getAllAccounts();

    await clearing.clear();
    expect(await persistence.load()).toBeNull();
    expect(changes).toEqual([
      ['load', [account.homeAccountId], []],
      ['clear', [], [account.homeAccountId]],
    ]);
    expect(await other.getTokenCache().getAllAccounts()).toEqual([]);
    idp.resetCalls();
    const silent = await other.acquireTokenSilent({ scopes: SCOPES, account }).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(InteractionRequiredAuthError);
    // The next sign-in starts from empty and is stored as usual.
    await signIn(other);
    expect(await persistence.load()).not.toBeNull();
  });

  it('waits for the lock another writer holds, and deletes only once it is released', async () => {
    const { persistence, lock, plugin } = setup();
    await signIn(publicApp(new FakeTokenEndpoint(), plugin()));
    const held = await lock.acquire();
    let done = false;
    const clearing = plugin()
      .clear()
      .then(() => {
        done = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    expect(await persistence.load()).not.toBeNull();
    await held.release();
    await clearing;
    expect(await persistence.load()).toBeNull();
  });

  it('rejects with LockTimeout and keeps the cache when the lock stays held, also with onSaveError: warn', async () => {
    const { persistence, lock, plugin } = setup({ lockTimeoutMs: 100, onSaveError: 'warn' });
    await signIn(publicApp(new FakeTokenEndpoint(), plugin()));
    const held = await lock.acquire();
    try {
      const error = await plugin()
        .clear()
        .catch((e: unknown) => e);
      expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
      expect(await persistence.load()).not.toBeNull();
    } finally {
      await held.release();
    }
  });
});
