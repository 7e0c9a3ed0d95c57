import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccountInfo, PublicClientApplication } from '@azure/msal-node';
import { type Persistence, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint, persistenceContract } from '@msal-persist/core/testing';
import { FileLock } from '@msal-persist/persistence-file';
import { afterAll, describe, expect, it } from 'vitest';
import { LibsecretPersistence } from '../src/index.js';
import { deleteService, probeSecretService, secretServiceRequired } from './secret-service.js';

const dir = mkdtempSync(join(tmpdir(), 'msal-persist-libsecret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const probe = await probeSecretService(join(dir, 'probe.signal'));
if (!probe.ok && !secretServiceRequired) {
  console.warn(
    `Skipping the real Secret Service tests: ${probe.reason}. Run them with scripts/with-secret-service.sh.`,
  );
}

describe.runIf(secretServiceRequired)('the Secret Service required by MSAL_PERSIST_REQUIRE_SECRET_SERVICE=1', () => {
  it('is reachable', () => {
    expect(probe.reason).toBe('reachable');
  });
});

// When required, these run (and fail) even if the probe failed: a missing Secret Service must not pass as a skip.
describe.runIf(probe.ok || secretServiceRequired)('LibsecretPersistence on a real Secret Service', () => {
  let count = 0;
  const made = new WeakMap<Persistence, { service: string; signalPath: string }>();
  const make = (
    service = `msal-persist-test-${process.pid}-${++count}`,
    signalPath = join(dir, `${service}.signal`),
  ) => {
    const persistence = new LibsecretPersistence({ signalPath, service });
    made.set(persistence, { service, signalPath });
    return persistence;
  };

  persistenceContract('LibsecretPersistence (real Secret Service)', () => make(), {
    isEncrypted: true,
    reopen: (one) => {
      const { service, signalPath } = made.get(one) ?? { service: '', signalPath: '' };
      return make(service, signalPath);
    },
    cleanup: async (one) => {
      const { service, signalPath } = made.get(one) ?? { service: '', signalPath: '' };
      await deleteService(service, signalPath);
    },
  });

  it('keeps an unreadable cache aside as another secret of the same service', async () => {
    const persistence = make();
    const { service, signalPath } = made.get(persistence) ?? { service: '', signalPath: '' };
    try {
      await persistence.save(new TextEncoder().encode('not json'));
      const where = await persistence.keepAside();
      const aside = /moved to account (\S+)$/.exec(where ?? '')?.[1] ?? '';
      expect(aside).toMatch(/^MSALCache\.corrupt-/);
      const kept = new LibsecretPersistence({ signalPath, service, account: aside });
      expect(new TextDecoder().decode((await kept.load()) ?? undefined)).toBe('not json');
      expect(await persistence.load()).toBeNull();
    } finally {
      await deleteService(service, signalPath);
    }
  });

  it('real msal-node: device code then silent; a second app with its own persistence object sees the tokens', async () => {
    const service = `msal-persist-msal-${process.pid}`;
    const signalPath = join(dir, 'msal.cache');
    const plugin = () =>
      new PersistenceCachePlugin({
        persistence: new LibsecretPersistence({ signalPath, service }),
        lock: new FileLock(`${signalPath}.lockfile`),
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
      await deleteService(service, signalPath);
    }
  });
});
