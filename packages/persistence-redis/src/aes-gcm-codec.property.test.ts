import { isPersistenceError } from '@msal-persist/core';
import { findSecretLeaks } from '@msal-persist/core/testing';
import {
  applyMutations,
  byteMutations,
  cacheLikePlaintext,
  decodeFailure,
  plaintextCacheBytes,
  propertyRuns,
  propertyTimeoutMs,
} from '@msal-persist/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec } from './aes-gcm-codec.js';

// What Redis hands back is foreign bytes: another app's value under our key, a blob from before a
// key rotation, a value damaged or forged by anyone who can write to the server.

const key = AesGcmCodec.generateKey();
const associatedData = fc.option(fc.string({ maxLength: 40 }), { nil: undefined });
const plaintext = cacheLikePlaintext();

function codecWith(ad: string | undefined): AesGcmCodec {
  return new AesGcmCodec(ad === undefined ? { key } : { key, associatedData: ad });
}

/** What decoding `stored` threw, checked to have allocated in proportion to the input only. */
async function failureOf(codec: AesGcmCodec, stored: Uint8Array): Promise<unknown> {
  const { error, exceeded } = await decodeFailure((bytes) => codec.decode(bytes), stored);
  expect(exceeded).toEqual([]);
  return error;
}

describe('AesGcmCodec, properties', () => {
  it(
    'round-trips any plaintext under any associated data',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintext, associatedData, async (plain, ad) => {
          const codec = codecWith(ad);
          expect(await codec.decode(await codec.encode(plain))).toEqual(plain);
        }),
        { numRuns: propertyRuns(100) },
      );
    },
    propertyTimeoutMs(30_000),
  );

  it(
    'rejects a damaged blob (truncated, bit-flipped, huge length, misaligned, extended) with Corrupt, quoting none of it',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintext, associatedData, byteMutations(), async (plain, ad, mutations) => {
          const codec = codecWith(ad);
          const sealed = await codec.encode(plain);
          const damaged = applyMutations(sealed, mutations);
          fc.pre(Buffer.compare(Buffer.from(damaged), Buffer.from(sealed)) !== 0);
          const error = await failureOf(codec, damaged);
          expect(isPersistenceError(error, 'Corrupt')).toBe(true);
          expect(findSecretLeaks(error, plain)).toEqual([]);
          expect(findSecretLeaks(error, damaged)).toEqual([]);
        }),
        { numRuns: propertyRuns(200) },
      );
    },
    propertyTimeoutMs(30_000),
  );

  it(
    'rejects arbitrary bytes, and a plaintext cache stored without the codec, with Corrupt, quoting none of it',
    async () => {
      const foreign = fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        // A version byte that matches, then anything.
        fc.uint8Array({ maxLength: 600 }).map((rest) => Uint8Array.from([1, ...rest])),
        plaintextCacheBytes(),
      );
      await fc.assert(
        fc.asyncProperty(foreign, associatedData, async (stored, ad) => {
          const error = await failureOf(codecWith(ad), stored);
          expect(isPersistenceError(error, 'Corrupt')).toBe(true);
          expect(findSecretLeaks(error, stored)).toEqual([]);
        }),
        { numRuns: propertyRuns(200) },
      );
    },
    propertyTimeoutMs(30_000),
  );

  it(
    'rejects a blob sealed under another key or other associated data with Corrupt',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintext, associatedData, associatedData, fc.boolean(), async (plain, adA, adB, sameKey) => {
          // No associated data and empty associated data are the same to AES-GCM.
          fc.pre(!sameKey || (adA ?? '') !== (adB ?? ''));
          const sealed = await codecWith(adA).encode(plain);
          const otherKey = sameKey ? key : AesGcmCodec.generateKey();
          const reader = new AesGcmCodec(
            adB === undefined ? { key: otherKey } : { key: otherKey, associatedData: adB },
          );
          const error = await reader.decode(sealed).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isPersistenceError(error, 'Corrupt')).toBe(true);
          expect(findSecretLeaks(error, plain)).toEqual([]);
        }),
        { numRuns: propertyRuns(100) },
      );
    },
    propertyTimeoutMs(30_000),
  );
});
