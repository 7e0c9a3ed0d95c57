// AesGcmCodec key rings: keys carry an id written in each blob's header; the first key seals, every
// listed key opens what carries its id, and blobs from before the ring (format 1) still open.
// boundTo(): the partitioned store's per-partition binding.
import { isPersistenceError } from '@msal-persist/core';
import { findSecretLeaks } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec } from '../src/index.js';
import { failure, text } from './support/helpers.js';

const k1 = AesGcmCodec.generateKey();
const k2 = AesGcmCodec.generateKey();
const plain = text('{"RefreshToken":{"rt":{"secret":"rt.secret.value"}}}');

describe('AesGcmCodec key rings', () => {
  it('seals with the first key, its id in the header; every listed key opens its own blobs', async () => {
    const old = new AesGcmCodec({ keys: [{ id: 'k1', key: k1 }] });
    const learning = new AesGcmCodec({
      keys: [
        { id: 'k1', key: k1 },
        { id: 'k2', key: k2 },
      ],
    });
    const rotated = new AesGcmCodec({
      keys: [
        { id: 'k2', key: k2 },
        { id: 'k1', key: k1 },
      ],
    });
    const byOld = await old.encode(plain);
    const byRotated = await rotated.encode(plain);
    expect([...byOld.subarray(0, 4)]).toEqual([2, 2, ...text('k1')]);
    expect([...byRotated.subarray(0, 4)]).toEqual([2, 2, ...text('k2')]);
    expect(await learning.decode(byOld)).toEqual(plain);
    expect(await learning.decode(byRotated)).toEqual(plain);
    expect(await rotated.decode(byOld)).toEqual(plain);
    expect([...(await learning.encode(plain)).subarray(0, 4)]).toEqual([2, 2, ...text('k1')]);
  });

  it('opens blobs written with a plain key (format 1) with any key of the ring', async () => {
    const before = await new AesGcmCodec({ key: k1 }).encode(plain);
    expect(before[0]).toBe(1);
    const ring = new AesGcmCodec({
      keys: [
        { id: 'new', key: k2 },
        { id: 'old', key: k1 },
      ],
    });
    expect(await ring.decode(before)).toEqual(plain);
  });

  it('rejects a blob of a key it does not list, and a header whose id was swapped, with Corrupt and no secret', async () => {
    const sealed = await new AesGcmCodec({ keys: [{ id: 'k2', key: k2 }] }).encode(plain);
    const reader = new AesGcmCodec({ keys: [{ id: 'k1', key: k1 }] });
    const unknown = await failure(reader.decode(sealed));
    expect(isPersistenceError(unknown, 'Corrupt')).toBe(true);
    expect((unknown as Error).message).toContain('key id');
    expect(findSecretLeaks(unknown, plain)).toEqual([]);
    // Same length id, another key: the header is authenticated, so the swap is caught.
    const both = new AesGcmCodec({
      keys: [
        { id: 'k1', key: k1 },
        { id: 'k2', key: k2 },
      ],
    });
    const swapped = Uint8Array.from(await both.encode(plain));
    swapped.set(text('k2'), 2);
    expect(isPersistenceError(await failure(both.decode(swapped)), 'Corrupt')).toBe(true);
  });

  it('checks its options', () => {
    expect(() => new AesGcmCodec({})).toThrow(TypeError);
    expect(() => new AesGcmCodec({ key: k1, keys: [{ id: 'a', key: k1 }] })).toThrow(TypeError);
    expect(() => new AesGcmCodec({ keys: [] })).toThrow(TypeError);
    expect(() => new AesGcmCodec({ keys: [{ id: '', key: k1 }] })).toThrow(TypeError);
    expect(() => new AesGcmCodec({ keys: [{ id: 'x'.repeat(256), key: k1 }] })).toThrow(TypeError);
    expect(
      () =>
        new AesGcmCodec({
          keys: [
            { id: 'a', key: k1 },
            { id: 'a', key: k2 },
          ],
        }),
    ).toThrow(TypeError);
    expect(() => new AesGcmCodec({ keys: [{ id: 'a', key: k1.subarray(1) }] })).toThrow(TypeError);
  });

  it('boundTo(context): a blob opens only under the context it was sealed for', async () => {
    const codec = new AesGcmCodec({ keys: [{ id: 'k1', key: k1 }], associatedData: 'app' });
    const forA = codec.boundTo('partition-a');
    const sealed = await forA.encode(plain);
    expect(await codec.boundTo('partition-a').decode(sealed)).toEqual(plain);
    expect(isPersistenceError(await failure(codec.boundTo('partition-b').decode(sealed)), 'Corrupt')).toBe(true);
    expect(isPersistenceError(await failure(codec.decode(sealed)), 'Corrupt')).toBe(true);
    expect(forA.isEncrypted).toBe(true);
    expect(forA.name).toBe('aes-256-gcm');
  });
});
