import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec } from '../src/index.js';

const text = (value: string) => new TextEncoder().encode(value);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('AesGcmCodec', () => {
  it('round-trips, with a fresh IV each time, and hides the plaintext', async () => {
    const codec = new AesGcmCodec({ key: AesGcmCodec.generateKey() });
    const plain = text('{"AccessToken":{"secret":"at.cc.zzz"}}');
    const a = await codec.encode(plain);
    const b = await codec.encode(plain);
    expect(a[0]).toBe(1);
    expect(a.byteLength).toBe(1 + 12 + plain.byteLength + 16);
    expect(Buffer.from(a.subarray(1, 13)).equals(Buffer.from(b.subarray(1, 13)))).toBe(false);
    expect(Buffer.from(a).includes('at.cc.zzz')).toBe(false);
    expect(await codec.decode(a)).toEqual(plain);
    expect(await codec.decode(b)).toEqual(plain);
  });

  it('rejects a wrong key, tampering, a foreign version and short data with Corrupt', async () => {
    const codec = new AesGcmCodec({ key: AesGcmCodec.generateKey() });
    const sealed = await codec.encode(text('secret'));
    const other = new AesGcmCodec({ key: AesGcmCodec.generateKey() });
    const tampered = sealed.slice();
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    const versioned = sealed.slice();
    versioned[0] = 2;
    const attempts = [
      () => other.decode(sealed),
      () => codec.decode(tampered),
      () => codec.decode(versioned),
      () => codec.decode(text('{}')),
    ];
    for (const attempt of attempts) {
      const error = await failure(attempt());
      expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    }
  });

  it('binds the associated data: a blob from another partition does not decode', async () => {
    const key = AesGcmCodec.generateKey();
    const sealed = await new AesGcmCodec({ key, associatedData: 'tenant-a' }).encode(text('x'));
    const error = await failure(new AesGcmCodec({ key, associatedData: 'tenant-b' }).decode(sealed));
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect(await new AesGcmCodec({ key, associatedData: 'tenant-a' }).decode(sealed)).toEqual(text('x'));
  });

  it('accepts a CryptoKey and refuses a key of the wrong length', async () => {
    const key = await globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    const codec = new AesGcmCodec({ key });
    expect(await codec.decode(await codec.encode(text('k')))).toEqual(text('k'));
    expect(() => new AesGcmCodec({ key: new Uint8Array(16) })).toThrow(/32-byte key/);
  });
});
