import { isPersistenceError, PersistenceError, PersistenceErrorCode } from '@msal-persist/core';
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
import { FakeDpapiNative } from '../test/fake-dpapi-native.js';
import { DpapiCodec } from './dpapi-codec.js';
import { DpapiCallError, type DpapiNative } from './dpapi-native.js';

// The cache file is foreign bytes: another Windows user's or machine's blob, a blob written with
// other entropy, a file damaged on disk or replaced by anyone who can write to the folder. The real
// parsing is CryptUnprotectData's; here FakeDpapiNative fails the way it does, so the properties
// check what the codec makes of every failure.

const plaintext = cacheLikePlaintext({ minLength: 1 });
const entropy = fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })), {
  nil: undefined,
});
const scope = fc.constantFrom('CurrentUser' as const, 'LocalMachine' as const);

function codecWith(entropyValue: string | Uint8Array | undefined, scopeValue: 'CurrentUser' | 'LocalMachine') {
  return new DpapiCodec({
    native: new FakeDpapiNative(),
    scope: scopeValue,
    ...(entropyValue === undefined ? {} : { entropy: entropyValue }),
  });
}

/** What decoding `stored` threw, checked to have allocated in proportion to the input only. */
async function failureOf(codec: DpapiCodec, stored: Uint8Array): Promise<unknown> {
  const { error, exceeded } = await decodeFailure((bytes) => codec.decode(bytes), stored);
  expect(exceeded).toEqual([]);
  return error;
}

describe('DpapiCodec, properties', () => {
  it(
    'round-trips any plaintext with any entropy and scope',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintext, entropy, scope, async (plain, e, s) => {
          const codec = codecWith(e, s);
          expect(await codec.decode(await codec.encode(plain))).toEqual(plain);
        }),
        { numRuns: propertyRuns(200) },
      );
    },
    propertyTimeoutMs(30_000),
  );

  it(
    'rejects a damaged blob (truncated, bit-flipped, huge length, misaligned, extended) with Corrupt, quoting none of it',
    async () => {
      await fc.assert(
        fc.asyncProperty(plaintext, entropy, scope, byteMutations(), async (plain, e, s, mutations) => {
          const codec = codecWith(e, s);
          const blob = await codec.encode(plain);
          const damaged = applyMutations(blob, mutations);
          fc.pre(damaged.byteLength > 0 && Buffer.compare(Buffer.from(damaged), Buffer.from(blob)) !== 0);
          const error = await failureOf(codec, damaged);
          expect(isPersistenceError(error, 'Corrupt')).toBe(true);
          expect(findSecretLeaks(error, plain)).toEqual([]);
          expect(findSecretLeaks(error, damaged)).toEqual([]);
        }),
        { numRuns: propertyRuns(300) },
      );
    },
    propertyTimeoutMs(30_000),
  );

  it(
    'rejects arbitrary bytes, and a plaintext cache left by another tool, with Corrupt, quoting none of it',
    async () => {
      const foreign = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 600 }), plaintextCacheBytes());
      await fc.assert(
        fc.asyncProperty(foreign, entropy, scope, async (stored, e, s) => {
          const error = await failureOf(codecWith(e, s), stored);
          expect(isPersistenceError(error, 'Corrupt')).toBe(true);
          expect(findSecretLeaks(error, stored)).toEqual([]);
        }),
        { numRuns: propertyRuns(300) },
      );
    },
    propertyTimeoutMs(30_000),
  );

  it('turns whatever the native call throws into a PersistenceError, keeping a PersistenceError’s code', async () => {
    const thrown = fc.oneof(
      fc
        .tuple(fc.constantFrom('CryptProtectData' as const, 'CryptUnprotectData' as const), fc.integer())
        .map(([operation, code]) => new DpapiCallError(operation, code)),
      fc
        .constantFrom(...Object.values(PersistenceErrorCode))
        .map((code) => new PersistenceError(code, 'from the seam', { backend: 'koffi' })),
      fc.string().map((message) => new TypeError(message)),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(thrown, fc.boolean(), async (error, decoding) => {
        const native: DpapiNative = {
          protect: () => {
            throw error;
          },
          unprotect: () => {
            throw error;
          },
        };
        const codec = new DpapiCodec({ native, backend: 'dpapi:/cache.bin' });
        const bytes = Uint8Array.of(1, 2, 3);
        const failure = await (decoding ? codec.decode(bytes) : codec.encode(bytes)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isPersistenceError(failure)).toBe(true);
        expect((failure as PersistenceError).backend).toBe('dpapi:/cache.bin');
        if (isPersistenceError(error)) expect((failure as PersistenceError).code).toBe(error.code);
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
