import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isPersistenceError, type PartitionedStore } from '@msal-persist/core';
import { partitionedStoreContract } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { FolderPartitionedStore, partitionFileName } from '../src/index.js';
import { AesTestCodec } from './aes-test-codec.js';
import { tempDir, tempSpacePerTest } from './helpers.js';

const dirs = new Map<PartitionedStore, () => void>();
function folderStore(options: Partial<ConstructorParameters<typeof FolderPartitionedStore>[0]> = {}) {
  const temp = tempDir('msal-persist-folder-');
  const store = new FolderPartitionedStore({ dir: join(temp.dir, 'partitions'), ...options });
  dirs.set(store, temp.remove);
  return store;
}
const peerOf = (store: PartitionedStore, options: { codec?: AesTestCodec } = {}) =>
  new FolderPartitionedStore({ dir: (store as FolderPartitionedStore).dir, ...options });
const cleanup = (store: PartitionedStore) => dirs.get(store)?.();

partitionedStoreContract('FolderPartitionedStore', () => folderStore(), {
  isEncrypted: false,
  peer: (store) => peerOf(store),
  cleanup,
  lock: { verify: true },
});

const sharedCodec = new AesTestCodec();
partitionedStoreContract('FolderPartitionedStore with an encrypting codec', () => folderStore({ codec: sharedCodec }), {
  isEncrypted: true,
  peer: (store) => peerOf(store, { codec: sharedCodec }),
  cleanup,
  manyPartitions: 200,
  lock: { verify: true },
});

const text = (value: string) => new TextEncoder().encode(value);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A serialized msal cache holding one access token expiring at `expiresAtMs`, and a refresh token if asked. */
function msalCache(expiresAtMs: number, withRefreshToken = false): Uint8Array {
  return text(
    JSON.stringify({
      Account: {},
      IdToken: {},
      AccessToken: { at: { credential_type: 'AccessToken', secret: 'at', expires_on: String(expiresAtMs / 1000) } },
      RefreshToken: withRefreshToken ? { rt: { credential_type: 'RefreshToken', secret: 'rt' } } : {},
      AppMetadata: {},
    }),
  );
}

describe('FolderPartitionedStore', () => {
  const space = tempSpacePerTest();

  it('names each file by a hash of its key, never the key, owner-only on POSIX', async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p') });
    await store.partition('user:ada@contoso.test').persistence.save(text('{}'));
    const files = readdirSync(store.dir);
    expect(files).toEqual([partitionFileName('user:ada@contoso.test')]);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.cache$/);
    expect(partitionFileName('User:ada@contoso.test')).not.toBe(files[0]);
    if (process.platform !== 'win32') {
      expect(statSync(store.dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(store.dir, files[0] ?? '')).mode & 0o777).toBe(0o600);
    }
  });

  it.runIf(process.platform !== 'win32')(
    "warns once, through the store's logger, about a folder others may write (not once per partition)",
    async () => {
      const dir = join(space.dir, 'open');
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      const warnings: string[] = [];
      const store = new FolderPartitionedStore({ dir, logger: { warn: (message) => warnings.push(message) } });
      for (const key of ['user:a', 'user:b', 'user:c']) {
        const { persistence } = store.partition(key);
        await persistence.save(text('{}'));
        await persistence.load();
      }
      expect(warnings).toEqual([expect.stringContaining(`${dir} is writable by others`)]);
      await store.close();
    },
  );

  it('writes the retention in a plain header before the body: the sweep needs no key', async () => {
    const codec = new AesTestCodec();
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), codec });
    const expiresAt = Date.now() + HOUR;
    await store.partition('obo:1').persistence.save(msalCache(expiresAt));
    const stored = readFileSync(join(store.dir, partitionFileName('obo:1')));
    expect(stored.subarray(0, stored.indexOf(0x0a)).toString()).toBe(`MPPS1 ${expiresAt}`);
    expect(stored.includes('AccessToken')).toBe(false);
  });

  it("an encrypted partition file copied over another partition's does not load there (Corrupt)", async () => {
    const codec = new AesTestCodec();
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), codec });
    await store.partition('user:mallory').persistence.save(text('{"mallory":1}'));
    await store.partition('user:ada').persistence.save(text('{"ada":1}'));
    copyFileSync(join(store.dir, partitionFileName('user:mallory')), join(store.dir, partitionFileName('user:ada')));
    const error = await store
      .partition('user:ada')
      .persistence.load()
      .catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect(String(error)).toMatch(/another partition/);
    expect(String(error)).not.toContain('user:ada');
  });

  it('a partition evicted from the recently-used set comes back over the same file and lock', async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p') });
    const first = store.partition('user:ada');
    await first.persistence.save(text('{"ada":1}'));
    const held = await first.lock.acquire({ timeoutMs: 5_000 });
    for (let i = 0; i < 5_000; i++) expect(store.partition(`user:${i}`).key).toBe(`user:${i}`);
    const again = store.partition('user:ada');
    expect(again).not.toBe(first);
    expect(again.key).toBe('user:ada');
    expect(new TextDecoder().decode((await again.persistence.load()) ?? undefined)).toBe('{"ada":1}');
    const error = await again.lock.acquire({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    await held.release();
    await (await again.lock.acquire({ timeoutMs: 5_000 })).release();
  });

  it('a file without the partition header is Corrupt, not read as a cache', async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p') });
    await store.partition('k').persistence.save(text('{}'));
    writeFileSync(join(store.dir, partitionFileName('k')), '{"AccessToken":{}}');
    const error = await store
      .partition('k')
      .persistence.load()
      .catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
  });

  it('deletes, rather than keeps aside, content whose key the codec says is gone for good', async () => {
    class ForgetfulCodec extends AesTestCodec {
      gone = false;
      async keyIsGone(): Promise<boolean> {
        return this.gone;
      }
    }
    const codec = new ForgetfulCodec();
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), codec });
    const { persistence } = store.partition('user:ada');
    await persistence.save(text('{}'));
    expect(await persistence.keepAside?.()).toMatch(/\.corrupt-/);
    await persistence.save(text('{}'));
    codec.gone = true;
    expect(await persistence.keepAside?.()).toBeUndefined();
    // Only the delete's `.cleared` marker (a pid and a time), no copy of the content.
    expect(readdirSync(store.dir).filter((name) => !name.includes('.corrupt-'))).toEqual([
      `${partitionFileName('user:ada')}.cleared`,
    ]);
  });

  it('hands a codec the start of some stored body, to find the key a new process should reuse', async () => {
    const store = new FolderPartitionedStore({ dir: join(space.dir, 'p') });
    expect(await store.storedBodySample(8)).toBeUndefined();
    await store.partition('a').persistence.save(text('{"body":1}'));
    expect(new TextDecoder().decode(await store.storedBodySample(8))).toBe('{"body":');
  });

  describe('sweep', () => {
    it('drops expired app/OBO partitions and empty ones, keeps live ones and signed-in users within the idle window', async () => {
      const codec = new AesTestCodec();
      const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), codec, refreshTokenIdleMs: DAY });
      const now = Date.now();
      await store.partition('obo:expired').persistence.save(msalCache(now - HOUR));
      await store.partition('obo:live').persistence.save(msalCache(now + HOUR));
      await store.partition('user:signed-in').persistence.save(msalCache(now - HOUR, true));
      await store.partition('user:signed-out').persistence.save(text('{"Account":{},"AccessToken":{}}'));
      await store.partition('empty').persistence.save(new Uint8Array(0));

      const first = await store.sweep({ now });
      expect(first).toMatchObject({ scanned: 5, deleted: 3, kept: 2, busy: 0, failed: 0 });
      expect(codec.decodes).toBe(0);
      expect(await store.partition('obo:expired').persistence.load()).toBeNull();
      expect(await store.partition('user:signed-out').persistence.load()).toBeNull();
      expect(await store.partition('obo:live').persistence.load()).not.toBeNull();

      // Two days on: the live OBO token has expired, the signed-in user was idle past refreshTokenIdleMs.
      expect(await store.sweep({ now: now + 2 * DAY })).toMatchObject({ scanned: 2, deleted: 2, kept: 0 });
      expect(readdirSync(store.dir)).toEqual([]);
    });

    it('a save pushes a signed-in user forward (sliding): still kept after the first window', async () => {
      const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), refreshTokenIdleMs: DAY });
      const { persistence } = store.partition('user:ada');
      await persistence.save(msalCache(Date.now() - HOUR, true));
      const header = () =>
        readFileSync(join(store.dir, partitionFileName('user:ada')))
          .toString()
          .split('\n')[0];
      const firstRetention = Number(header()?.split(' ')[1]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await persistence.save(msalCache(Date.now() - HOUR, true));
      expect(Number(header()?.split(' ')[1])).toBeGreaterThan(firstRetention);
      expect((await store.sweep({ now: firstRetention })).kept).toBe(1);
    });

    it('leaves an expired partition alone while a writer holds its lock', async () => {
      const store = new FolderPartitionedStore({ dir: join(space.dir, 'p') });
      const { persistence, lock } = store.partition('obo:busy');
      await persistence.save(msalCache(Date.now() - HOUR));
      const held = await lock.acquire({ timeoutMs: 5_000 });
      expect(await store.sweep()).toMatchObject({ deleted: 0, busy: 1 });
      await held.release();
      expect(await store.sweep()).toMatchObject({ deleted: 1, busy: 0 });
    });

    it('removes temp files of interrupted saves after an hour and kept-aside copies after the idle window', async () => {
      const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), refreshTokenIdleMs: DAY });
      await store.partition('k').persistence.save(msalCache(Date.now() + HOUR));
      const file = partitionFileName('k');
      const old = (Date.now() - 2 * DAY) / 1000;
      const leftovers = [
        `.${file}.4242.a1b2c3d4e5f6.tmp`,
        `${file}.corrupt-2026-01-01T00-00-00-000Z`,
        `.${file}.4243.a1b2c3d4e5f6.tmp`,
      ];
      for (const name of leftovers) writeFileSync(join(store.dir, name), 'x');
      for (const name of leftovers.slice(0, 2)) utimesSync(join(store.dir, name), old, old);
      writeFileSync(join(store.dir, 'not-ours.txt'), 'x');
      expect(await store.sweep()).toMatchObject({ cleaned: 2, kept: 1 });
      expect(readdirSync(store.dir).sort()).toEqual([leftovers[2], file, 'not-ours.txt'].sort());
    });

    it('churn: over 10 days of users coming and going, storage follows the active users, not everyone seen', async () => {
      const start = Date.UTC(2026, 0, 1);
      let now = start;
      const store = new FolderPartitionedStore({
        dir: join(space.dir, 'p'),
        refreshTokenIdleMs: 2 * DAY,
        now: () => now,
      });
      const lastSave = new Map<string, number>();
      const stored: number[] = [];
      for (let day = 0; day < 10; day++) {
        now = start + day * DAY;
        // 40 new users sign in (refresh tokens); 20 of yesterday's come back (their caches are saved again).
        const active = [
          ...Array.from({ length: 40 }, (_, i) => `user:${day}:${i}`),
          ...(day > 0 ? Array.from({ length: 20 }, (_, i) => `user:${day - 1}:${i}`) : []),
        ];
        for (const user of active) {
          await store.partition(user).persistence.save(msalCache(now + HOUR, true));
          lastSave.set(user, now);
        }
        await store.sweep();
        const expected = [...lastSave].filter(([, at]) => at + 2 * DAY > now).map(([user]) => partitionFileName(user));
        expect(readdirSync(store.dir).sort()).toEqual(expected.sort());
        stored.push(expected.length);
      }
      expect(lastSave.size).toBe(400);
      // From day 2 on: today's 40 + yesterday's 40 + the 20 of the day before who came back yesterday.
      expect(stored.slice(2)).toEqual([100, 100, 100, 100, 100, 100, 100, 100]);
    });

    it('a missing folder is an empty sweep', async () => {
      const store = new FolderPartitionedStore({ dir: join(space.dir, 'never-created') });
      expect(await store.sweep()).toMatchObject({ scanned: 0, deleted: 0 });
    });

    it('runs on its own every sweepEveryMs until closed', async () => {
      const store = new FolderPartitionedStore({ dir: join(space.dir, 'p'), sweepEveryMs: 1_000 });
      await store.partition('obo:expired').persistence.save(msalCache(Date.now() - HOUR));
      await expect.poll(() => readdirSync(store.dir).length, { timeout: 10_000, interval: 100 }).toBe(0);
      await store.close();
      await store.close();
    });
  });

  it('rejects bad options as programming errors', () => {
    expect(() => new FolderPartitionedStore({ dir: '' })).toThrow(TypeError);
    expect(() => new FolderPartitionedStore({ dir: space.dir, sweepEveryMs: 10 })).toThrow(/sweepEveryMs/);
    expect(() => new FolderPartitionedStore({ dir: space.dir, refreshTokenIdleMs: -1 })).toThrow(/refreshTokenIdleMs/);
  });
});
