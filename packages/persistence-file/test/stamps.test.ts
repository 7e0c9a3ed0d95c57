// A change stamp must change on every save: a reader that sees an old stamp skips its reload, and a
// writer that skips its reload under the lock overwrites what the other writer saved.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { type AtomicFileSystem, ChangeSignal, FileLock, FilePersistence, nodeFileSystem } from '../src/index.js';
import { CLIENT_ID } from './fixtures/apps.js';
import { type StoredCache, tempSpacePerTest } from './helpers.js';

const space = tempSpacePerTest();
const bytes = (text: string) => new TextEncoder().encode(text);

type BigIntStats = NonNullable<ReturnType<AtomicFileSystem['stat']>>;
const withInode = (stats: BigIntStats, ino: bigint): BigIntStats =>
  Object.assign(Object.create(Object.getPrototypeOf(stats) as object) as BigIntStats, stats, { ino });

/**
 * A file system that keeps times in 2-second steps (FAT, some network shares) and always hands out
 * the same inode (ext4 reuses freed inodes): the worst case for a stamp of inode, size and time.
 */
const coarseFileSystem: AtomicFileSystem = {
  ...nodeFileSystem,
  futimes: (fd, atime, mtime) => nodeFileSystem.futimes(fd, Math.floor(atime / 2) * 2, Math.floor(mtime / 2) * 2),
  stat: (path) => {
    const stats = nodeFileSystem.stat(path);
    return stats && withInode(stats, 7n);
  },
  fstat: (fd) => withInode(nodeFileSystem.fstat(fd), 7n),
};

describe('change stamps', () => {
  it('every save gets a later time than the file it replaces, even where the file system keeps 2-second times and reuses the inode', async () => {
    const persistence = new FilePersistence(space.cachePath, { fs: coarseFileSystem });
    const stamps: string[] = [];
    const times: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      stamps.push(await persistence.save(bytes('{"same":"size"}')));
      times.push(statSync(space.cachePath, { bigint: true }).mtimeNs);
      expect(persistence.stamp()).toBe(stamps.at(-1));
    }
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] ?? 0n);
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  it('the change-signal file too', async () => {
    const signal = new ChangeSignal(join(space.dir, 'msal.cache'), { fs: coarseFileSystem });
    const stamps = new Set<string>();
    for (let i = 0; i < 4; i++) stamps.add(await signal.touch());
    expect(stamps.size).toBe(4);
  });

  it('no write is lost between two writers on such a file system: a same-size refresh moves the stamp', {
    timeout: 60_000,
  }, async () => {
    const idp = new FakeTokenEndpoint();
    const app = () =>
      new ConfidentialClientApplication({
        auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
        system: { networkClient: idp.networkClient },
        cache: {
          cachePlugin: new PersistenceCachePlugin({
            persistence: new FilePersistence(space.cachePath, { fs: coarseFileSystem }),
            lock: new FileLock(`${space.cachePath}.lockfile`),
            logger: {},
          }),
        },
      });
    const a = app();
    const b = app();
    const stored = async () =>
      JSON.parse(
        new TextDecoder().decode((await new FilePersistence(space.cachePath).load()) ?? undefined),
      ) as StoredCache;
    // Several rounds, so a 2-second boundary falling between two saves cannot hide the collision.
    for (let round = 0; round < 3; round++) {
      await a.acquireTokenByClientCredential({ scopes: [`api://one-${round}/.default`] });
      await b.acquireTokenByClientCredential({ scopes: [`api://two-${round}/.default`] });
      // A replaces its token with one of the same size: same inode, same size, and (before the fix)
      // the same 2-second time as B's save, so B would not see that anything changed.
      const refreshed = await a.acquireTokenByClientCredential({
        scopes: [`api://one-${round}/.default`],
        skipCache: true,
      });
      await b.acquireTokenByClientCredential({ scopes: [`api://three-${round}/.default`] });
      const secrets = Object.values((await stored()).AccessToken).map((entry) => entry.secret);
      expect(secrets).toContain(refreshed?.accessToken);
    }
  });

  describe.each([
    ['tmpfs (/dev/shm)', '/dev/shm'],
    ["the test folder's disk", undefined],
  ])('10 000 back-to-back saves on %s', (_, base) => {
    it.runIf(base === undefined || existsSync(base))(
      'never repeat a stamp, and each save is later than the last',
      {
        timeout: 180_000,
      },
      async () => {
        const dir = base ? mkdtempSync(join(base, 'msal-persist-stamps-')) : space.dir;
        try {
          const persistence = new FilePersistence(join(dir, 'msal.json'));
          const stamps = new Set<string>();
          let previous = -1n;
          for (let i = 0; i < 10_000; i++) {
            const stamp = await persistence.save(bytes('{"same":"size"}'));
            const mtimeNs = BigInt(stamp.split(':')[2] ?? '0');
            expect(mtimeNs > previous).toBe(true);
            previous = mtimeNs;
            stamps.add(stamp);
          }
          expect(stamps.size).toBe(10_000);
        } finally {
          if (base) rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});
