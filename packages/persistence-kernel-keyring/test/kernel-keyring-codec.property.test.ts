// Properties of the kernel-keyring codec, which decodes whatever is in the cache file. The keyring
// is an in-memory one here (the real kernel is exercised by kernel-keyring.test.ts): what is under
// test is the parsing and authentication of the bytes. Runs `propertyRuns(n)` cases
// (MSAL_PERSIST_DEEP=1 for 50×); a failure prints fast-check's seed and the shrunk counterexample.
import { isPersistenceError } from '@msal-persist/core';
import { applyMutations, byteMutations, propertyRuns, withAllocationLimit } from '@msal-persist/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KernelKeyring, KernelKeyringCodec } from '../src/index.js';

const UID = 1000;
const HOST_NAMESPACE = 4026531837n;

/** A user's keyrings in memory: `add`, `search` and `read` as the kernel answers them. */
function memoryKernel(userNamespace = HOST_NAMESPACE): KernelKeyring & { keys: Map<string, Uint8Array> } {
  const keys = new Map<string, Uint8Array>();
  const serials = new Map<number, string>();
  return {
    keys,
    keyring: (scope) => ({ id: scope === 'user' ? -4 : 1, scope }),
    search: (_keyring, description) => {
      for (const [serial, name] of serials) if (name === description && keys.has(name)) return serial;
      return null;
    },
    read: (serial) => keys.get(serials.get(serial) ?? '') ?? new Uint8Array(0),
    add: (_keyring, description, payload) => {
      const serial = serials.size + 1;
      serials.set(serial, description);
      keys.set(description, Uint8Array.from(payload));
      return serial;
    },
    unlink: (_keyring, serial) => {
      keys.delete(serials.get(serial) ?? '');
    },
    uid: () => UID,
    userNamespace: () => userNamespace,
  };
}

const codecOver = (kernel: KernelKeyring, binding = '/home/me/.cache/app/msal.cache') =>
  new KernelKeyringCodec({ backend: 'kernel-keyring:test', binding, kernel: async () => kernel });

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Decodes `stored`: the plain bytes, or a `Corrupt` PersistenceError whose message holds no run of
 * 6 bytes of the encrypted content (IV, ciphertext, tag) in hex or raw. The header's uid, user
 * namespace and key id are named on purpose: they are what `keyctl` needs.
 */
async function decodeOrCorrupt(codec: KernelKeyringCodec, stored: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return await codec.decode(stored);
  } catch (error) {
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    const message = (error as Error).message;
    const content = stored.subarray(Math.min(stored.length, 33));
    for (let at = 0; at + 6 <= content.length; at++) {
      const window = content.subarray(at, at + 6);
      expect(message).not.toContain(hex(window));
      if (window.every((byte) => byte >= 0x20 && byte < 0x7f))
        expect(message).not.toContain(Buffer.from(window).toString('latin1'));
    }
    return undefined;
  }
}

/** No buffer may be sized from a length field or header value: at most a small multiple of the input. */
async function decodeWithinBound(codec: KernelKeyringCodec, stored: Uint8Array) {
  const { result, exceeded } = await withAllocationLimit(16 * stored.byteLength + 4096, () =>
    decodeOrCorrupt(codec, stored),
  );
  expect(exceeded).toEqual([]);
  return result;
}

const plain = fc.uint8Array({ minLength: 1, maxLength: 512 });
const binding = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });

describe('the kernel-keyring codec (properties)', () => {
  it('decodes exactly what it encoded, for any bytes and any binding', async () => {
    await fc.assert(
      fc.asyncProperty(plain, binding, async (bytes, where) => {
        const codec = codecOver(memoryKernel(), where);
        expect(await codec.decode(await codec.encode(bytes))).toEqual(bytes);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('a damaged file (truncated, bits flipped, huge values, bytes removed or inserted) is Corrupt, or decodes to exactly what was written', async () => {
    await fc.assert(
      fc.asyncProperty(plain, byteMutations(), async (bytes, damage) => {
        const kernel = memoryKernel();
        const stored = await codecOver(kernel).encode(bytes);
        const decoded = await decodeWithinBound(codecOver(kernel), applyMutations(stored, damage));
        // AES-GCM: a change anywhere fails authentication; only an undamaged file decodes.
        if (decoded !== undefined) expect(decoded).toEqual(bytes);
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('arbitrary bytes, with or without a valid-looking header, are Corrupt', async () => {
    const header = fc
      .tuple(fc.constantFrom(1, 2, 3, 255), fc.uint8Array({ minLength: 0, maxLength: 120 }))
      .map(([version, rest]) => Uint8Array.from([0x4d, 0x50, 0x4b, 0x4b, version, ...rest]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(header, fc.uint8Array({ maxLength: 200 })), async (bytes) => {
        expect(await decodeWithinBound(codecOver(memoryKernel()), bytes)).toBeUndefined();
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('a file decodes only under the binding it was written with (a copy from another cache path is Corrupt)', async () => {
    await fc.assert(
      fc.asyncProperty(plain, binding, binding, async (bytes, one, other) => {
        fc.pre(one !== other);
        const kernel = memoryKernel();
        const stored = await codecOver(kernel, one).encode(bytes);
        expect(await decodeOrCorrupt(codecOver(kernel, other), stored)).toBeUndefined();
      }),
      { numRuns: propertyRuns(100) },
    );
  });

  it('a key is never "gone" for a file written in another user namespace, whatever its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(plain, byteMutations(), async (bytes, damage) => {
        const stored = await codecOver(memoryKernel(HOST_NAMESPACE)).encode(bytes);
        const elsewhere = codecOver(memoryKernel(HOST_NAMESPACE + 1n));
        expect(await elsewhere.keyIsGone(stored)).toBe(false);
        // A damaged header can claim any namespace; only one equal to ours can prove a key gone.
        const damaged = applyMutations(stored, damage);
        const namespace = damaged.byteLength >= 17 ? Buffer.from(damaged).readBigUInt64BE(9) : undefined;
        if (namespace !== HOST_NAMESPACE + 1n) expect(await elsewhere.keyIsGone(damaged)).toBe(false);
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
