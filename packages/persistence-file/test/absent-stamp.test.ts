// The stamp of a cache file that is not there. A process whose save failed (lock timeout, full
// disk; onSaveError: 'warn') keeps its new tokens in memory only, at the stamp it last saw: the
// file's absence. Another process's clear() — of nothing, or after its own sign-in was saved — must
// move that stamp, or the first process keeps serving tokens after everyone was signed out. Its own
// failed save must not move it, or it would drop those tokens at once. Real msal-node, real
// processes for the other side of the app.
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError, PublicClientApplication } from '@azure/msal-node';
import { isPersistenceError, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type AtomicFileSystem,
  FileLock,
  FilePersistence,
  FolderPartitionedStore,
  nodeFileSystem,
  partitionFileName,
} from '../src/index.js';
import { CLIENT_ID } from './fixtures/apps.js';
import { exited, runFixture, startFixture, tempSpacePerTest, waitForLine } from './helpers.js';

const space = tempSpacePerTest();
const bytes = (text: string) => new TextEncoder().encode(text);
const DAY = 24 * 3_600_000;

/** A disk that fills up at the rename: the temp file was written (and is removed), the cache is not. */
const fullDisk: AtomicFileSystem = {
  ...nodeFileSystem,
  rename: async () => {
    throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
  },
};

describe('the stamp of an absent cache file', () => {
  it('moves when another instance deletes, also when there was nothing to delete, and then stays put', async () => {
    const reader = new FilePersistence(space.cachePath);
    const before = reader.stamp();
    expect(reader.stamp()).toBe(before);
    await new FilePersistence(space.cachePath).delete();
    const after = reader.stamp();
    expect(after).not.toBe(before);
    expect(reader.stamp()).toBe(after);
    expect(await reader.load()).toBeNull();
  });

  it('never comes back to one seen before another instance saved and deleted', async () => {
    const reader = new FilePersistence(space.cachePath);
    const writer = new FilePersistence(space.cachePath);
    const seen = new Set([reader.stamp()]);
    for (let round = 0; round < 3; round++) {
      seen.add(await writer.save(bytes('{"Account":{}}')));
      await writer.delete();
      expect(seen).not.toContain(reader.stamp());
      seen.add(reader.stamp());
    }
  });

  it('does not move for a save that failed, though that save wrote and removed a temp file beside it', async () => {
    const reader = new FilePersistence(space.cachePath);
    await new FilePersistence(space.cachePath).delete();
    const before = reader.stamp();
    const failed = await new FilePersistence(space.cachePath, { fs: fullDisk })
      .save(bytes('{"Account":{}}'))
      .catch((e: unknown) => e);
    expect(isPersistenceError(failed)).toBe(true);
    expect(reader.stamp()).toBe(before);
  });
});

describe('the cleared marker', () => {
  it('a delete where the folder does not exist creates none', async () => {
    const path = join(space.dir, 'never', 'made', 'msal.json');
    const persistence = new FilePersistence(path);
    await persistence.delete();
    expect(existsSync(join(space.dir, 'never'))).toBe(false);
    expect(persistence.stamp()).toBe('absent');
  });

  it('a delete whose marker cannot be written still removes the cache, then rejects naming the marker', async () => {
    await new FilePersistence(space.cachePath).save(bytes('{"Account":{}}'));
    const noRoomForMarker: AtomicFileSystem = {
      ...nodeFileSystem,
      open: (path, flags, mode) =>
        path.includes('.cleared.')
          ? Promise.reject(Object.assign(new Error(`ENOSPC: injected, open '${path}'`), { code: 'ENOSPC', path }))
          : nodeFileSystem.open(path, flags, mode),
    };
    const error = await new FilePersistence(space.cachePath, { fs: noRoomForMarker }).delete().catch((e: unknown) => e);
    expect(existsSync(space.cachePath)).toBe(false);
    expect(isPersistenceError(error, 'NoSpace')).toBe(true);
    expect((error as Error).message).toContain(`${space.cachePath} was deleted, but ${space.cachePath}.cleared`);
  });
});

describe('the cleared markers of a partition folder', () => {
  it("a partition's delete leaves its marker; the sweep removes it after the idle window, and a marker write's leftover temp file after an hour", async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), refreshTokenIdleMs: DAY });
    const { persistence } = store.partition('user:ada');
    await persistence.save(bytes('{"Account":{}}'));
    const stampBefore = persistence.stamp();
    await persistence.delete();
    const file = partitionFileName('user:ada');
    const leftover = `.${file}.cleared.4242.a1b2c3d4e5f6.tmp`;
    writeFileSync(join(store.dir, leftover), 'x');
    expect(readdirSync(store.dir).sort()).toEqual([leftover, `${file}.cleared`].sort());
    expect(persistence.stamp()).not.toBe(stampBefore);

    expect(await store.sweep()).toMatchObject({ scanned: 0, cleaned: 0 });
    const old = (Date.now() - 2 * DAY) / 1000;
    for (const name of readdirSync(store.dir)) utimesSync(join(store.dir, name), old, old);
    expect(await store.sweep()).toMatchObject({ scanned: 0, cleaned: 2, failed: 0 });
    expect(readdirSync(store.dir)).toEqual([]);
  });
});

/** Process A: a public client whose saves fail as told; failed saves keep the tokens in memory. */
function processA(options: { fs?: AtomicFileSystem; lockTimeoutMs: number }) {
  const idp = new FakeTokenEndpoint();
  const cachePlugin = new PersistenceCachePlugin({
    persistence: new FilePersistence(space.cachePath, options.fs ? { fs: options.fs } : {}),
    lock: new FileLock(`${space.cachePath}.lockfile`),
    lockTimeoutMs: options.lockTimeoutMs,
    onSaveError: 'warn',
    logger: {},
  });
  const app = new PublicClientApplication({
    auth: idp.authConfig(CLIENT_ID),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
  return { app, idp, cachePlugin };
}

/** A signs in while another process (in the other MSAL extensions' lock format) holds the lock: a LockTimeout. */
async function signedInInMemoryOnly() {
  const holder = startFixture('hold-lock', [`${space.cachePath}.lockfile`]);
  try {
    await waitForLine<{ holding: boolean }>(holder, (line) => line.holding);
    const a = processA({ lockTimeoutMs: 300 });
    const result = await a.app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
    if (!result?.account) throw new Error('the sign-in returned no account');
    return { ...a, account: result.account };
  } finally {
    holder.stdin?.end();
    await exited(holder);
  }
}

describe('a process holding tokens in memory only, the cache file absent', () => {
  it.each([
    ['clear() when nothing is stored', 'clear'],
    ['a sign-in, saved, then clear()', 'sign-in-then-clear'],
  ])("is signed out by another process's %s", { timeout: 60_000 }, async (_, mode) => {
    const a = await signedInInMemoryOnly();
    expect(existsSync(space.cachePath), 'the failed save stored nothing').toBe(false);
    // Served from memory: the failed save kept the tokens.
    a.idp.resetCalls();
    await a.app.acquireTokenSilent({ scopes: ['User.Read'], account: a.account });
    expect(a.idp.calls.total).toBe(0);

    const other = await runFixture<{ done: boolean; stored: boolean }>('sign-out', [space.cachePath, mode], {
      withinMs: 30_000,
    });
    expect(other.stored).toBe(mode === 'sign-in-then-clear');
    expect(existsSync(space.cachePath)).toBe(false);

    const silent = await a.app
      .acquireTokenSilent({ scopes: ['User.Read'], account: a.account })
      .catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(AuthError);
    expect(await a.app.getTokenCache().getAllAccounts()).toEqual([]);
  });

  it('keeps them after its own failed save, which touched the folder (lock, temp file) but not the cache', async () => {
    const a = processA({ fs: fullDisk, lockTimeoutMs: 5_000 });
    const result = await a.app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
    if (!result?.account) throw new Error('the sign-in returned no account');
    expect(existsSync(space.cachePath)).toBe(false);
    a.idp.resetCalls();
    const silent = await a.app.acquireTokenSilent({ scopes: ['User.Read'], account: result.account });
    expect(silent?.accessToken).toBe(result.accessToken);
    expect(a.idp.calls.total).toBe(0);
  });

  it('its own clear() signs it out when the disk is full, though the marker for others cannot be written', async () => {
    const a = processA({ fs: fullDisk, lockTimeoutMs: 5_000 });
    const result = await a.app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
    if (!result?.account) throw new Error('the sign-in returned no account');
    const cleared = await a.cachePlugin.clear().catch((error: unknown) => error);
    // The marker tells other processes; it could not be written, and the caller hears so.
    expect(isPersistenceError(cleared, 'NoSpace')).toBe(true);
    const silent = await a.app
      .acquireTokenSilent({ scopes: ['User.Read'], account: result.account })
      .catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(AuthError);
    expect(await a.app.getTokenCache().getAllAccounts()).toEqual([]);
  });
});
