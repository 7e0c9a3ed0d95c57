import { on } from 'node:events';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { describe, expect, it } from 'vitest';
import { KernelKeyringPersistence } from '../src/backends/kernel-keyring.js';
import { type BackendName, type CacheChangedEvent, createCachePlugin } from '../src/index.js';
import { runClient, scratch } from './run-client.js';

const mode = secretServiceTestMode();
const linux = process.platform === 'linux';
skippedNotice(mode, 'watch() on the Secret Service change signal');
// FakeTokenEndpoint's default user and tenant: the home account id the child signs in.
const ADA = /^00000000-0000-4000-8000-00000000a11c\./;

const cases: Array<[BackendName, boolean]> = [
  ['libsecret', linux && mode.run],
  ['kernel-keyring', linux],
];

describe('MsalCachePlugin.watch(): cachechanged without any msal call in this process (real processes)', () => {
  for (const [backend, runs] of cases) {
    it.runIf(runs)(`${backend}: another process signs in, then out`, async () => {
      const space = scratch(`watch-${backend}`);
      const plugin = await createCachePlugin({
        cachePath: space.env.CACHE_PATH,
        accountName: space.env.ACCOUNT_NAME,
        serviceName: space.env.SERVICE_NAME,
        backend,
        logger: {},
      });
      const events = on(plugin, 'cachechanged');
      const watcher = plugin.watch({ persistent: false });
      try {
        const env = { ...space.env, BACKEND: backend };
        await runClient(['public', 'sign-in'], env);
        const [signedIn] = (await events.next()).value as [CacheChangedEvent];
        expect(signedIn).toMatchObject({ source: 'load', accountsRemoved: [] });
        expect(signedIn.accountsAdded).toEqual([expect.stringMatching(ADA)]);

        await runClient(['public', 'sign-out'], env);
        const [signedOut] = (await events.next()).value as [CacheChangedEvent];
        expect(signedOut).toMatchObject({ source: 'load', accountsAdded: [], accounts: [] });
        expect(signedOut.accountsRemoved).toEqual(signedIn.accountsAdded);
      } finally {
        watcher.close();
        await events.return?.();
        if (backend === 'kernel-keyring') await new KernelKeyringPersistence(plugin.selection.cachePath).delete();
        else await plugin.clear();
        space.cleanup();
      }
    });
  }
});
