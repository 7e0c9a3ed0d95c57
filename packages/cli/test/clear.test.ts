import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PublicClientApplication } from '@azure/msal-node';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import {
  type BackendName,
  type CacheChangedEvent,
  createCachePlugin,
  PersistenceCachePlugin,
} from '@msal-persist/msal-plugin';
import { FileLock, FilePersistence } from '@msal-persist/msal-plugin/file';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClearReport } from '../src/clear.js';
import { holdLock, kill } from './lock-holder.js';
import { cli, cliInTerminal, forgetKernelKeyringCache, json, scratch, signIn } from './run-cli.js';

const linux = process.platform === 'linux';
const mode = secretServiceTestMode();
skippedNotice(mode, 'msal-persist clear on the real Secret Service (1 test)');
const space = scratch('clear');
afterAll(space.cleanup);

/** A running app of this test process, signed in, on the cache `plugin` stores. */
async function runningApp(plugin: PersistenceCachePlugin) {
  const idp = new FakeTokenEndpoint();
  const app = new PublicClientApplication({
    auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin: plugin },
  });
  const result = await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
  if (!result?.account) throw new Error('no account');
  return { app, homeAccountId: result.account.homeAccountId };
}

function plaintextPlugin(file: string) {
  return new PersistenceCachePlugin({ persistence: new FilePersistence(file), lock: new FileLock(`${file}.lockfile`) });
}

describe('msal-persist clear (real backends, real processes)', () => {
  const backends: Array<[BackendName, boolean]> = [
    ['libsecret', linux && mode.run],
    ['kernel-keyring', linux],
  ];
  for (const [backend, runs] of backends) {
    it.runIf(runs)(`${backend}: a running app of the cache finds itself signed out at its next access`, async () => {
      const appName = `${space.appName}-${backend}`;
      const cachePath = join(space.dir, appName, 'msal.cache');
      const plugin = await createCachePlugin({ appName, cachePath, backend, logger: {} });
      try {
        const { app, homeAccountId } = await runningApp(plugin);
        const changes: CacheChangedEvent[] = [];
        plugin.on('cachechanged', (event) => changes.push(event));
        const run = await cli(['clear', '--app-name', appName, '--backend', backend, '--yes', '--json'], {
          env: space.env,
        });
        expect(run.code).toBe(0);
        expect(json<ClearReport>(run)).toMatchObject({
          command: 'clear',
          backend,
          cleared: true,
          hadCache: true,
          accountsRemoved: [homeAccountId],
        });
        expect(await app.getTokenCache().getAllAccounts()).toEqual([]);
        expect(changes.map((event) => [event.source, event.accountsRemoved])).toEqual([['load', [homeAccountId]]]);
        expect(await plugin.selection.persistence.load()).toBeNull();
      } finally {
        if (backend === 'kernel-keyring') await forgetKernelKeyringCache(plugin.selection.cachePath);
      }
    });
  }

  it("a plaintext file: cleared, and the running app's checkForChanges() reports its account removed", async () => {
    const file = join(space.dir, 'watched.json');
    const plugin = plaintextPlugin(file);
    const { homeAccountId } = await runningApp(plugin);
    const heard = once(plugin, 'cachechanged') as Promise<[CacheChangedEvent]>;
    await plugin.checkForChanges(); // the baseline: ada
    const run = await cli(['clear', '--cache-path', file, '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Cleared ${file} (file, ${file}).`);
    expect(run.stdout).toContain(`1 account(s) signed out: ${homeAccountId}.`);
    await plugin.checkForChanges(); // what msal-plugin's watch() runs at each change of the file
    const [event] = await heard;
    expect(event.accountsRemoved).toEqual([homeAccountId]);
    expect(existsSync(file)).toBe(false);
  });

  it('waits for the cache lock; when it stays held past --lock-timeout: exit 5, one line, cache intact', async () => {
    const file = join(space.dir, 'busy.json');
    await signIn({ CACHE_FILE: file });
    const holder = await holdLock(`${file}.lockfile`);
    try {
      const run = await cli(['clear', '--cache-path', file, '--yes', '--lock-timeout', '300']);
      expect(run.code).toBe(5);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^msal-persist: .*lock.* Fix: Retry when the other process is done, or raise --lock-timeout\.$/m,
      );
      expect(existsSync(file)).toBe(true);
    } finally {
      await kill(holder.child);
    }
  });

  it('off a terminal without --yes: exit 2, asks for --yes, removes nothing', async () => {
    const file = join(space.dir, 'unconfirmed.json');
    await signIn({ CACHE_FILE: file });
    const run = await cli(['clear', '--cache-path', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Fix: Pass --yes to clear without asking.');
    expect(existsSync(file)).toBe(true);
  });

  it('on a terminal it asks first: "n" keeps the cache (exit 6), "y" clears it', async () => {
    const file = join(space.dir, 'asked.json');
    await signIn({ CACHE_FILE: file });
    const declined = await cliInTerminal(['clear', '--cache-path', file], { answer: 'n' });
    expect(declined.output).toMatch(
      /Remove the token cache \(file, .*asked\.json\) with 1 account\(s\): ada@contoso\.test\?/,
    );
    expect(declined.code).toBe(6);
    expect(existsSync(file)).toBe(true);
    const confirmed = await cliInTerminal(['clear', '--cache-path', file], { answer: 'y' });
    expect(confirmed.code).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('nothing stored: nothing asked, exit 0', async () => {
    const run = await cli(['clear', '--cache-path', join(space.dir, 'empty.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Nothing stored: /);
  });
});
