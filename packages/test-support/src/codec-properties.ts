import fc from 'fast-check';
import { withAllocationLimit } from './allocation-limit.js';

const encoder = new TextEncoder();

/**
 * Plaintexts for codec properties: raw bytes, and cache-like JSON holding a token long enough that
 * a leak of it into an error message would be found.
 *
 * @example
 * ```ts
 * fc.asyncProperty(cacheLikePlaintext(), async (plain) => expect(await codec.decode(await codec.encode(plain))).toEqual(plain));
 * ```
 */
export function cacheLikePlaintext({ minLength = 0 }: { minLength?: number } = {}): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ minLength, maxLength: 2048 }),
    fc.string({ minLength: 20, maxLength: 400 }).map((token) => encoder.encode(`{"RefreshToken":"${token}"}`)),
  );
}

/**
 * A plaintext msal cache as another tool leaves it where a codec expects its own format.
 *
 * @example
 * ```ts
 * fc.asyncProperty(fc.oneof(fc.uint8Array(), plaintextCacheBytes()), async (stored) => …);
 * ```
 */
export function plaintextCacheBytes(): fc.Arbitrary<Uint8Array> {
  return fc.string({ maxLength: 300 }).map((text) => encoder.encode(`{"AccessToken":{"k":"${text}"}}`));
}

/**
 * Runs `decode(stored)` with allocations limited in proportion to `stored` (see
 * `withAllocationLimit`) and hands back what it threw (`undefined` when it resolved) and the
 * allocations over the limit, so a codec that catches everything cannot hide one.
 *
 * @example
 * ```ts
 * const { error, exceeded } = await decodeFailure((bytes) => codec.decode(bytes), damaged);
 * expect(exceeded).toEqual([]);
 * expect(isPersistenceError(error, 'Corrupt')).toBe(true);
 * ```
 */
export async function decodeFailure(
  decode: (stored: Uint8Array) => Promise<unknown>,
  stored: Uint8Array,
): Promise<{ error: unknown; exceeded: Error[] }> {
  const { result, exceeded } = await withAllocationLimit(64 * stored.byteLength + 64 * 1024, () =>
    decode(stored).then(
      () => undefined,
      (error: unknown) => error,
    ),
  );
  return { error: result, exceeded };
}
