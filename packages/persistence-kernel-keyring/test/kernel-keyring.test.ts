import { createCipheriv, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isPersistenceError } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { clearedMarkerPath } from '@msal-persist/persistence-file';
import { describe, expect, it } from 'vitest';
import { KernelKeyringPersistence, KoffiKernelKeyring } from '../src/index.js';
import { findKey, keyDescriptionOf, tempSpacePerTest, unlinkKey, unlinkKeyOf } from './kernel-keyring-cli.js';

const linux = process.platform === 'linux';
const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
const space = tempSpacePerTest();

describe.runIf(linux)('KernelKeyringPersistence on the real kernel keyring', () => {
  let count = 0;
  persistenceContract('KernelKeyringPersistence', () => new KernelKeyringPersistence(`${space.path}.${++count}`), {
    isEncrypted: true,
    reopen: (one) => new KernelKeyringPersistence((one as KernelKeyringPersistence).path),
    cleanup: (one) => one.delete(),
  });

  it('writes ciphertext: no cache byte and no key byte is on disk, and the key is in the persistent keyring', async () => {
    const persistence = new KernelKeyringPersistence(space.path);
    const cache = '{"RefreshToken":{"rt":{"secret":"refresh-token-value-0123456789"}}}';
    await persistence.save(text(cache));
    const onDisk = readFileSync(space.path);
    expect(onDisk.subarray(0, 5)).toEqual(Buffer.from([0x4d, 0x50, 0x4b, 0x4b, 2]));
    expect(onDisk.includes(Buffer.from('refresh-token-value'))).toBe(false);
    expect(statSync(space.path).mode & 0o777).toBe(0o600);
    expect(await findKey(keyDescriptionOf(space.path))).not.toBeNull();
    expect(decode(await new KernelKeyringPersistence(space.path).load())).toBe(cache);
    await persistence.delete();
  });

  it("'user' scope keeps the key in the user keyring instead", async () => {
    const persistence = new KernelKeyringPersistence(space.path, { scope: 'user' });
    await persistence.save(text('{"a":1}'));
    expect(await findKey(keyDescriptionOf(space.path))).toBeNull();
    expect(decode(await new KernelKeyringPersistence(space.path, { scope: 'user' }).load())).toBe('{"a":1}');
    // The persistent scope does not see a key of the user keyring.
    const other = await new KernelKeyringPersistence(space.path).load().catch((e: unknown) => e);
    expect(isPersistenceError(other, 'Corrupt')).toBe(true);
    await persistence.delete();
  });

  it('keeps using the stored key across saves and instances, and delete removes file and key', async () => {
    const first = new KernelKeyringPersistence(space.path);
    await first.save(text('{"v":1}'));
    const description = keyDescriptionOf(space.path);
    // A new instance that saves without loading first reuses the stored key.
    await new KernelKeyringPersistence(space.path).save(text('{"v":2}'));
    expect(keyDescriptionOf(space.path)).toBe(description);
    await first.delete();
    expect(existsSync(space.path)).toBe(false);
    expect(await findKey(description)).toBeNull();
  });

  it('key removed with `keyctl unlink`: Corrupt saying so, the file is deleted (not kept aside), the next save works', async () => {
    const persistence = new KernelKeyringPersistence(space.path);
    await persistence.save(text('{"v":1}'));
    const gone = keyDescriptionOf(space.path);
    await unlinkKeyOf(space.path);
    const error = await persistence.load().catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect((error as Error).message).toContain('is no longer in the kernel keyring');
    expect(await persistence.keepAside()).toBeUndefined();
    // Only the delete's `.cleared` marker (which moves the stamp for other processes), no copy.
    expect(readdirSync(space.dir)).toEqual([basename(clearedMarkerPath(space.path))]);
    await persistence.save(text('{"v":2}'));
    expect(keyDescriptionOf(space.path)).not.toBe(gone);
    expect(decode(await new KernelKeyringPersistence(space.path).load())).toBe('{"v":2}');
    await persistence.delete();
  });

  // A key id that names no key reads exactly like a key that is gone: deleted, not kept aside.
  it.each([
    [
      'a flipped ciphertext byte',
      (bytes: Buffer) => bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 1, bytes.length - 20),
      'changed or damaged',
    ],
    [
      'a flipped tag byte',
      (bytes: Buffer) => bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1),
      'changed or damaged',
    ],
    [
      'another key id',
      (bytes: Buffer) => bytes.writeUInt8(bytes.readUInt8(20) ^ 1, 20),
      'no longer in the kernel keyring',
    ],
    ['another uid in the header', (bytes: Buffer) => bytes.writeUInt32BE(4242, 5), 'written by uid 4242'],
    ['plaintext JSON', (bytes: Buffer) => bytes.fill(0x20).write('{"Account":{}}'), 'no MPKK header'],
  ])(
    'tampered (%s): Corrupt, never a crash, the bytes kept aside while their key exists',
    async (_label, tamper, reason) => {
      const persistence = new KernelKeyringPersistence(space.path);
      await persistence.save(text('{"Account":{"a":{"home_account_id":"x"}}}'));
      const description = keyDescriptionOf(space.path);
      const bytes = readFileSync(space.path);
      tamper(bytes);
      writeFileSync(space.path, bytes);
      const error = await persistence.load().catch((e: unknown) => e);
      expect(isPersistenceError(error, 'Corrupt')).toBe(true);
      expect((error as Error).message).toContain(reason);
      const where = await persistence.keepAside();
      if (reason.includes('no longer')) {
        expect(where).toBeUndefined();
        expect(existsSync(space.path)).toBe(false);
      } else {
        expect(where).toMatch(/\.corrupt-/);
        expect(readFileSync(where ?? '')).toEqual(bytes);
      }
      await unlinkKey(description);
    },
  );

  it("app A's file copied over app B's: Corrupt in B (bound to its path), kept aside, not deleted; B's next save works", async () => {
    const pathA = `${space.path}.app-a`;
    const a = new KernelKeyringPersistence(pathA);
    await a.save(text('{"Account":{"a":{"home_account_id":"app-a"}}}'));
    copyFileSync(pathA, space.path);
    const b = new KernelKeyringPersistence(space.path);
    const error = await b.load().catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect((error as Error).message).toContain('copied here from another cache path');
    expect(await b.keepAside()).toMatch(/\.corrupt-/);
    await b.save(text('{"b":1}'));
    expect(decode(await new KernelKeyringPersistence(space.path).load())).toBe('{"b":1}');
    // A's own file still reads where it was written.
    expect(decode(await new KernelKeyringPersistence(pathA).load())).toContain('app-a');
    await a.delete();
    await b.delete();
  });

  it('the `binding` option lets two paths of one cache (a container mounting the folder elsewhere) read each other', async () => {
    await new KernelKeyringPersistence(space.path, { binding: 'my-app' }).save(text('{"v":1}'));
    copyFileSync(space.path, `${space.path}.mounted`);
    const mounted = new KernelKeyringPersistence(`${space.path}.mounted`, { binding: 'my-app' });
    expect(decode(await mounted.load())).toBe('{"v":1}');
    await mounted.delete();
    await new KernelKeyringPersistence(space.path).delete();
  });

  it('a version 1 file (written before paths were bound) still loads, and its next save rewrites it as version 2 under the same key', async () => {
    const kernel = await KoffiKernelKeyring.load();
    const keyId = randomBytes(16);
    const key = randomBytes(32);
    kernel.add(kernel.keyring('persistent').id, `msal-persist:aes-256-gcm:${keyId.toString('hex')}`, key);
    const header = Buffer.alloc(25);
    header.write('MPKK', 'latin1');
    header[4] = 1;
    header.writeUInt32BE(process.getuid?.() ?? 0, 5);
    keyId.copy(header, 9);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(header);
    const sealed = [header, iv, cipher.update('{"v":"one"}'), cipher.final(), cipher.getAuthTag()];
    writeFileSync(space.path, Buffer.concat(sealed), { mode: 0o600 });
    const description = keyDescriptionOf(space.path);

    const persistence = new KernelKeyringPersistence(space.path);
    expect(decode(await persistence.load())).toBe('{"v":"one"}');
    await persistence.save(text('{"v":"two"}'));
    expect(readFileSync(space.path)[4]).toBe(2);
    expect(keyDescriptionOf(space.path)).toBe(description);
    expect(decode(await new KernelKeyringPersistence(space.path).load())).toBe('{"v":"two"}');
    await persistence.delete();
  });

  it('a version 1 file whose key is missing is kept aside, not deleted: it does not say which user namespace wrote it', async () => {
    const header = Buffer.alloc(25);
    header.write('MPKK', 'latin1');
    header[4] = 1;
    header.writeUInt32BE(process.getuid?.() ?? 0, 5);
    randomBytes(16).copy(header, 9);
    const bytes = Buffer.concat([header, randomBytes(12 + 20 + 16)]);
    writeFileSync(space.path, bytes, { mode: 0o600 });
    const persistence = new KernelKeyringPersistence(space.path);
    const error = await persistence.load().catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect((error as Error).message).toContain('kept aside, not deleted');
    const where = await persistence.keepAside();
    expect(where).toMatch(/\.corrupt-/);
    expect(readFileSync(where ?? '')).toEqual(bytes);
  });

  it('refuses an unknown scope with a TypeError', () => {
    expect(() => new KernelKeyringPersistence(space.path, { scope: 'session' as 'user' })).toThrow(TypeError);
  });
});
