import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isPersistenceError } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { KernelKeyringPersistence } from '../src/index.js';
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
    expect(onDisk.subarray(0, 5)).toEqual(Buffer.from([0x4d, 0x50, 0x4b, 0x4b, 1]));
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
    expect(readdirSync(space.dir)).toEqual([]);
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
      (bytes: Buffer) => bytes.writeUInt8(bytes.readUInt8(12) ^ 1, 12),
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

  it('refuses an unknown scope with a TypeError', () => {
    expect(() => new KernelKeyringPersistence(space.path, { scope: 'session' as 'user' })).toThrow(TypeError);
  });
});
