import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccountInfo, PublicClientApplication } from '@azure/msal-node';
import { type Persistence, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint, persistenceContract } from '@msal-persist/core/testing';
import { FileLock } from '@msal-persist/persistence-file';
import { KEYTAR_WRITER } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { LibsecretPersistence, type LibsecretPersistenceOptions } from '../src/index.js';
import { skippedNotice } from '../src/testing/index.js';
import { deleteItem, mode, python, unreachableReason } from './real-secret-service.js';

const dir = mkdtempSync(join(tmpdir(), 'msal-persist-libsecret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
skippedNotice(mode, 'persistence-libsecret on a real Secret Service: contract suite, keep-aside, real msal-node');
const keytar = KEYTAR_WRITER;

// When they must run, these run (and fail) even if no Secret Service answers: a missing one is a
// failure that says how to provide it, never a skip.
describe.runIf(mode.run)('LibsecretPersistence on a real Secret Service', () => {
  it('reaches a Secret Service', async () => {
    expect(await unreachableReason(join(dir, 'probe.signal'))).toBeUndefined();
  });

  let count = 0;
  const made = new WeakMap<Persistence, LibsecretPersistenceOptions>();
  const make = (options: LibsecretPersistenceOptions = { signalPath: '', service: '' }) => {
    const service = options.service || `msal-persist-test-${process.pid}-${++count}`;
    const resolved = { ...options, service, signalPath: options.signalPath || join(dir, `${service}.signal`) };
    const persistence = new LibsecretPersistence(resolved);
    made.set(persistence, resolved);
    return persistence;
  };
  const optionsOf = (persistence: Persistence) => made.get(persistence) ?? { signalPath: '', service: '' };

  persistenceContract('LibsecretPersistence (real Secret Service)', () => make(), {
    isEncrypted: true,
    reopen: (one) => make(optionsOf(one)),
    cleanup: (one) => deleteItem(optionsOf(one)),
  });

  it('keeps an unreadable cache aside under a schema of its own, which no lookup of the cache matches', async () => {
    const persistence = make();
    const options = optionsOf(persistence);
    const service = options.service ?? '';
    try {
      await persistence.save(new TextEncoder().encode('not json'));
      const where = await persistence.keepAside();
      const aside = /moved to schema (\S+)$/.exec(where ?? '')?.[1] ?? '';
      expect(aside).toMatch(/^org\.freedesktop\.Secret\.Generic\.corrupt-/);
      expect(await persistence.load()).toBeNull();
      expect(JSON.parse(await python(keytar, ['lookup', service, 'MSALCache']))).toBeNull();
      const kept = new LibsecretPersistence({ ...options, schema: aside });
      expect(new TextDecoder().decode((await kept.load()) ?? undefined)).toBe('not json');
      await kept.delete();
    } finally {
      await deleteItem(options);
    }
  });

  it('real msal-node: device code then silent; a second app with its own persistence object sees the tokens', async () => {
    const options = { service: `msal-persist-msal-${process.pid}`, signalPath: join(dir, 'msal.cache') };
    const plugin = () =>
      new PersistenceCachePlugin({
        persistence: new LibsecretPersistence(options),
        lock: new FileLock(`${options.signalPath}.lockfile`),
        logger: {},
      });
    const app = (idp: FakeTokenEndpoint) =>
      new PublicClientApplication({
        auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
        system: { networkClient: idp.networkClient },
        cache: { cachePlugin: plugin() },
      });
    try {
      const idpA = new FakeTokenEndpoint();
      const first = app(idpA);
      const signedIn = await first.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
      const account = signedIn?.account as AccountInfo;
      idpA.resetCalls();
      for (let i = 0; i < 5; i++) {
        const silent = await first.acquireTokenSilent({ scopes: ['User.Read'], account });
        expect(silent.accessToken).toBe(signedIn?.accessToken);
      }
      expect(idpA.calls.total).toBe(0);

      const idpB = new FakeTokenEndpoint();
      const second = app(idpB);
      const [seen] = await second.getTokenCache().getAllAccounts();
      expect(seen?.username).toBe(account.username);
      const fromB = await second.acquireTokenSilent({ scopes: ['User.Read'], account: seen as AccountInfo });
      expect(fromB.accessToken).toBe(signedIn?.accessToken);
      expect(idpB.calls.total).toBe(0);
    } finally {
      await deleteItem(options);
    }
  });
});
