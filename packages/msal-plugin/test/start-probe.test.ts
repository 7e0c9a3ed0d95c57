import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { PublicClientApplication } from '@azure/msal-node';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { KernelKeyringPersistence } from '../src/backends/kernel-keyring.js';
import { type BackendName, createCachePlugin } from '../src/index.js';
import { encryptedTarget, runClient, scratch } from './run-client.js';

// createCachePlugin proves a store works before the app relies on it. A cache that loads proves
// that already: then nothing is written at start, so a cache the user may only read (a read-only
// mount, a CI secret file) opens, and a start costs no save/load/delete round trip.
const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;
const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const directoryChange = (dir: string) => {
  const stats = statSync(dir, { bigint: true });
  return { mtimeNs: stats.mtimeNs, entries: readdirSync(dir).sort() };
};

describe.runIf(linux)('start-up with an existing cache', () => {
  const target = encryptedTarget('the start-up probe tests');

  it(`a cache that loads (${target.backend}) is not probed: nothing is created or removed beside it`, async () => {
    const space = scratch('no-probe');
    try {
      const first = await runClient(['public', 'sign-in'], { ...space.env, ...target.env });
      expect(first.backend).toBe(target.backend);
      const before = directoryChange(space.dir);
      const again = await runClient(['public', 'silent'], { ...space.env, ...target.env });
      expect(again).toMatchObject({ backend: target.backend, fromCache: true });
      expect(directoryChange(space.dir)).toEqual(before);
    } finally {
      if (target.backend === 'kernel-keyring') {
        await new KernelKeyringPersistence(`${space.env.CACHE_PATH}.kernel-keyring`).delete();
      }
      space.cleanup();
    }
  });

  // The check at start read the cache already; reading it again at the first msal call cost a
  // second keyring round trip (a D-Bus lookup, a Keychain query) in every process that starts.
  for (const backend of [target.backend, 'file'] as BackendName[]) {
    it(`${backend}: the first msal call starts from what the check at start read, unless the store moved since`, async () => {
      const space = scratch(`startup-read-${backend}`);
      const env = { ...space.env, ...(backend === 'file' ? { BACKEND: 'file' } : target.env) };
      const options = {
        cachePath: space.env.CACHE_PATH,
        accountName: space.env.ACCOUNT_NAME,
        serviceName: space.env.SERVICE_NAME,
        backend,
        logger: {},
      };
      const appOn = (cachePlugin: Awaited<ReturnType<typeof createCachePlugin>>) => {
        const idp = new FakeTokenEndpoint();
        return new PublicClientApplication({
          auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
          system: { networkClient: idp.networkClient },
          cache: { cachePlugin },
        });
      };
      try {
        await runClient(['public', 'sign-in'], env);
        const plugin = await createCachePlugin(options);
        const load = vi.spyOn(plugin.selection.persistence, 'load');
        expect(await appOn(plugin).getTokenCache().getAllAccounts()).toHaveLength(1);
        expect(load).not.toHaveBeenCalled();
        expect(plugin.stats.loads).toBe(1);

        // Another process signs out between the check and the first call: the store is read again.
        const later = await createCachePlugin(options);
        const reload = vi.spyOn(later.selection.persistence, 'load');
        await runClient(['public', 'sign-out'], env);
        expect(await appOn(later).getTokenCache().getAllAccounts()).toEqual([]);
        expect(reload).toHaveBeenCalledTimes(1);
      } finally {
        if (backend === 'kernel-keyring') {
          await new KernelKeyringPersistence(`${space.env.CACHE_PATH}.kernel-keyring`).delete();
        } else if (backend !== 'file') {
          await (await createCachePlugin(options)).clear().catch(() => undefined);
        }
        space.cleanup();
      }
    });
  }

  it('an empty store is still probed before first use (the typed error and fallback stay as they were)', async () => {
    const space = scratch('probe-empty');
    try {
      const before = directoryChange(space.dir);
      const run = await runClient(['public', 'accounts'], { ...space.env, ...target.env });
      expect(run.accounts).toEqual([]);
      // The probe's file came and went.
      expect(directoryChange(space.dir).mtimeNs).not.toBe(before.mtimeNs);
      expect(directoryChange(space.dir).entries).toEqual([]);
    } finally {
      space.cleanup();
    }
  });
});

describe.runIf(linux && root)('a cache the user may read but not write (as uid 65534)', () => {
  function readOnlyCache() {
    const space = scratch('read-only');
    chownSync(space.dir, 65534, 65534);
    const env = { ...space.env, BACKEND: 'file' };
    return {
      space,
      env,
      async seed() {
        await runClient(['public', 'sign-in'], env, asNobody);
        chmodSync(space.env.CACHE_PATH, 0o400);
        chmodSync(space.dir, 0o555);
      },
      cleanup() {
        chmodSync(space.dir, 0o700);
        space.cleanup();
      },
    };
  }

  it('opens, and silent calls are served from it with no network call', async () => {
    const cache = readOnlyCache();
    try {
      await cache.seed();
      const run = await runClient(['public', 'silent'], cache.env, asNobody);
      expect(run).toMatchObject({ backend: 'file', fromCache: true, accounts: ['ada@contoso.test'] });
      expect(run.calls.total).toBe(0);
    } finally {
      cache.cleanup();
    }
  });

  it('a write fails on the save with a typed AccessDenied naming the folder, not a probe file', async () => {
    const cache = readOnlyCache();
    try {
      await cache.seed();
      const failure = await runClient(['public', 'sign-in'], cache.env, asNobody).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(failure?.message).toContain("code: 'AccessDenied'");
      expect(failure?.message).toContain(cache.space.dir);
      expect(failure?.message).not.toMatch(/probe-|at createPersistence/);
    } finally {
      cache.cleanup();
    }
  });

  it("with onSaveError: 'warn' the write succeeds in memory and the failure is logged once", async () => {
    const cache = readOnlyCache();
    try {
      await cache.seed();
      const run = await runClient(['public', 'sign-in'], { ...cache.env, ON_SAVE_ERROR: 'warn' }, asNobody);
      expect(run.accessToken).toBeDefined();
      const logged = run.stderr.split('\n').filter((line) => /^(warn|error): /.test(line));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(`permission denied on the folder ${cache.space.dir}`);
      expect(logged[0]).toContain('not saved');
    } finally {
      cache.cleanup();
    }
  });
});
