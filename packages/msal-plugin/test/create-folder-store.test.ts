import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPersistenceError, type PartitionedStore, textToBytes } from '@msal-persist/core';
import { partitionedStoreContract } from '@msal-persist/core/testing';
import { partitionFileName } from '@msal-persist/persistence-file';
import { refuseKeyring, runNodeFixture } from '@msal-persist/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { createFolderStore, type FolderStore } from '../src/index.js';
import { keyDescriptionsIn, unlinkKey } from './folder-keys.js';

const linux = process.platform === 'linux';
const fixture = join(import.meta.dirname, 'fixtures', 'folder-store.ts');
const freshDir = () => join(mkdtempSync(join(tmpdir(), 'msal-plugin-folder-')), 'partitions');

/** Removes a store's folder and the kernel key it made (the store's key shows in any file it writes). */
async function removeStore(store: FolderStore): Promise<void> {
  if (store.encryption === 'kernel-keyring') {
    await store.partition('\u0000cleanup').persistence.save(textToBytes('{}'));
    for (const description of keyDescriptionsIn(store.dir)) await unlinkKey(description);
  }
  rmSync(join(store.dir, '..'), { recursive: true, force: true });
}

interface Opened {
  encryption?: string;
  isEncrypted?: boolean;
  fallbackCode?: string;
  value?: string | null;
  error?: string;
  message?: string;
}
const inChild = async (args: string[], prefix: string[] = []) =>
  (await runNodeFixture<Opened>(fixture, args, { prefix })).result;

describe.runIf(linux)('createFolderStore on Linux: the kernel keyring, for real', () => {
  partitionedStoreContract('createFolderStore (kernel keyring)', () => createFolderStore({ dir: freshDir() }), {
    isEncrypted: true,
    peer: (store) => createFolderStore({ dir: (store as FolderStore).dir }),
    cleanup: (store: PartitionedStore) => removeStore(store as FolderStore),
    manyPartitions: 200,
    lock: { verify: true },
  });

  const opened: FolderStore[] = [];
  const open = async (dir = freshDir()) => {
    const store = await createFolderStore({ dir, sweepEveryMs: false });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) {
      await store.close();
      await removeStore(store);
    }
  });

  it('encrypts with one kernel-keyring key for the whole folder, and the probe leaves no file', async () => {
    const store = await open();
    expect(store).toMatchObject({ encryption: 'kernel-keyring', isEncrypted: true, fallbackReason: undefined });
    expect(readdirSync(store.dir)).toEqual([]);
    for (const key of ['user:ada', 'user:bo', 'obo:1']) {
      await store.partition(key).persistence.save(textToBytes(`{"AccessToken":{},"who":"${key}"}`));
    }
    for (const name of readdirSync(store.dir)) expect(readFileSync(join(store.dir, name)).includes('who')).toBe(false);
    expect(keyDescriptionsIn(store.dir).size).toBe(1);
  });

  it('other processes find the same key: they read what this one saved, and their saves add no key', async () => {
    const store = await open();
    await store.partition('user:ada').persistence.save(textToBytes('{"from":"parent"}'));
    const [key] = keyDescriptionsIn(store.dir);
    expect(await inChild(['load', store.dir, 'user:ada'])).toMatchObject({
      encryption: 'kernel-keyring',
      value: '{"from":"parent"}',
    });
    expect(await inChild(['save', store.dir, 'user:bo', '{"from":"child"}'])).toMatchObject({ saved: true });
    expect(new TextDecoder().decode((await store.partition('user:bo').persistence.load()) ?? undefined)).toBe(
      '{"from":"child"}',
    );
    expect(keyDescriptionsIn(store.dir)).toEqual(new Set([key]));
  });

  it('after its key is gone (a reboot): Corrupt, and the partition is deleted rather than kept aside', async () => {
    const store = await open();
    const { persistence } = store.partition('user:ada');
    await persistence.save(textToBytes('{}'));
    for (const description of keyDescriptionsIn(store.dir)) await unlinkKey(description);
    const error = await persistence.load().catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect(String(error)).toMatch(/no longer in the kernel keyring/);
    expect(await persistence.keepAside?.()).toBeUndefined();
    // Only the delete's `.cleared` marker (which moves the stamp for other processes), no copy.
    expect(readdirSync(store.dir)).toEqual([`${partitionFileName('user:ada')}.cleared`]);
  });

  it('where the kernel refuses the keyring (a container seccomp profile): NotAvailable, plaintext only when allowed', async () => {
    const dir = freshDir();
    try {
      const refused = await inChild(['open', dir], refuseKeyring);
      expect(refused.error).toBe('NotAvailable');
      expect(refused.message).toMatch(/allowPlaintextFallback: true/);
      const plaintext = await inChild(['open', dir, 'plaintext'], refuseKeyring);
      expect(plaintext).toMatchObject({ encryption: 'none', isEncrypted: false, fallbackCode: 'NotAvailable' });
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});

describe('createFolderStore options', () => {
  it("encryption: 'none' is plaintext, chosen explicitly, and says so", async () => {
    const dir = freshDir();
    const store = await createFolderStore({ dir, encryption: 'none', sweepEveryMs: false });
    try {
      expect(store).toMatchObject({ encryption: 'none', isEncrypted: false });
      await store.partition('k').persistence.save(textToBytes('{"plain":true}'));
      expect(readFileSync(join(dir, readdirSync(dir)[0] ?? '')).includes('{"plain":true}')).toBe(true);
    } finally {
      await store.close();
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('rejects bad options as programming errors, before touching the disk', async () => {
    await expect(createFolderStore({ encryption: 'rot13' as 'none' })).rejects.toThrow(/encryption/);
    await expect(createFolderStore({ sweepEveryMs: 5 })).rejects.toThrow(/sweepEveryMs/);
    await expect(createFolderStore({ keyringScope: 'session' as 'user' })).rejects.toThrow(/keyringScope/);
  });
});
