import { describe, expect, it } from 'vitest';
import { MemoryLock, MemoryPersistence, PersistenceCachePlugin } from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';
import { GatedPersistence } from './support/gated-persistence.js';
import { ADA, BO, CY, publicApp, SCOPES, signIn, usernames } from './support/msal-apps.js';
import { expectNoLeaks, RecordingLogger } from './support/recording-logger.js';
import { storedText } from './support/scripted-token-cache.js';

describe('real msal-node, offline: concurrent calls in one process', () => {
  it("onSaveError 'warn': a device code sign-in while another process holds the lock succeeds in memory (issue 11.6)", async () => {
    const persistence = new MemoryPersistence();
    const lock = new MemoryLock();
    const logger = new RecordingLogger();
    const idp = new FakeTokenEndpoint();
    const plugin = new PersistenceCachePlugin({ persistence, lock, logger, lockTimeoutMs: 50, onSaveError: 'warn' });
    const app = publicApp(idp, plugin);
    const otherProcess = await lock.acquire();

    const signedIn = await signIn(app);
    expect(await usernames(app)).toEqual(['ada@contoso.test']);
    expect(await persistence.load()).toBeNull();
    idp.resetCalls();
    const silent = await app.acquireTokenSilent({ scopes: SCOPES, account: signedIn.account });
    expect(silent.fromCache).toBe(true);
    expect(silent.accessToken).toBe(signedIn.accessToken);
    expect(idp.calls.total).toBe(0);
    expect(logger.at('error').join('\n')).toContain('memory only');

    // Once the lock is free again, the next write saves what this process kept in memory.
    await otherProcess.release();
    idp.user = BO;
    await signIn(app);
    const fresh = publicApp(new FakeTokenEndpoint(), new PersistenceCachePlugin({ persistence, lock, logger: {} }));
    expect(await usernames(fresh)).toEqual(['ada@contoso.test', 'bo@contoso.test']);
    expectNoLeaks({ logger }, [await storedText(persistence), ...idp.issued]);
  });

  it('a silent call while a sign-in is being saved does not make the next sign-in drop it (issue 11.7)', async () => {
    const persistence = new GatedPersistence();
    const lock = new MemoryLock();
    const idp = new FakeTokenEndpoint({ user: BO });
    const app = publicApp(idp, new PersistenceCachePlugin({ persistence, lock, logger: {} }));
    const bo = await signIn(app);

    idp.user = ADA;
    const gate = persistence.holdNextSave();
    const ada = signIn(app);
    await gate.reached;
    // msal's silent flow clears its memory and rebuilds it from its snapshot, which the sign-in
    // being saved has not updated yet.
    const silent = await app.acquireTokenSilent({ scopes: SCOPES, account: bo.account });
    expect(silent.fromCache).toBe(true);
    gate.open();
    await ada;

    idp.user = CY;
    await signIn(app);
    const fresh = publicApp(new FakeTokenEndpoint(), new PersistenceCachePlugin({ persistence, lock, logger: {} }));
    expect(await usernames(fresh)).toEqual(['ada@contoso.test', 'bo@contoso.test', 'cy@contoso.test']);
    expect(await usernames(app)).toEqual(['ada@contoso.test', 'bo@contoso.test', 'cy@contoso.test']);
  });

  it('a silent call whose load was in flight when a sign-in started does not make the sign-in lost (issue 11.7)', async () => {
    const persistence = new GatedPersistence();
    const lock = new MemoryLock();
    const idp = new FakeTokenEndpoint({ user: BO });
    const app = publicApp(idp, new PersistenceCachePlugin({ persistence, lock, logger: {} }));
    const bo = await signIn(app);
    // Another process signs Cy in: this process's next read has something to load.
    const other = publicApp(
      new FakeTokenEndpoint({ user: CY }),
      new PersistenceCachePlugin({ persistence, lock, logger: {} }),
    );
    await signIn(other);

    const loadGate = persistence.holdNextLoad();
    const silent = app.acquireTokenSilent({ scopes: SCOPES, account: bo.account });
    await loadGate.reached;
    idp.user = ADA;
    const saveGate = persistence.holdNextSave();
    const ada = signIn(app);
    await saveGate.reached;
    loadGate.open();
    await silent;
    saveGate.open();
    await ada;

    idp.user = { oid: '00000000-0000-4000-8000-0000000000d0', name: 'Di', username: 'di@contoso.test' };
    await signIn(app);
    const fresh = publicApp(new FakeTokenEndpoint(), new PersistenceCachePlugin({ persistence, lock, logger: {} }));
    expect(await usernames(fresh)).toEqual([
      'ada@contoso.test',
      'bo@contoso.test',
      'cy@contoso.test',
      'di@contoso.test',
    ]);
  });
});
