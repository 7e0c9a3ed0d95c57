/**
 * A reversible transform of the stored bytes (encryption at rest). Backends that store bytes
 * accept one; `decode` must reject tampered or foreign data with a `PersistenceError` of code
 * `Corrupt`, which the cache plugin treats as an unreadable cache.
 *
 * @example
 * ```ts
 * const identity: BytesCodec = {
 *   name: 'identity', isEncrypted: false,
 *   encode: async (plain) => plain, decode: async (stored) => stored,
 * };
 * ```
 */
export interface BytesCodec {
  /** Short name for messages, e.g. `dpapi` or `aes-256-gcm`. */
  readonly name: string;
  /** True when `encode` encrypts. */
  readonly isEncrypted: boolean;
  /** Transforms a non-empty cache before it is stored. */
  encode(plain: Uint8Array): Promise<Uint8Array>;
  /** Reverses `encode`; rejects with `PersistenceError` code `Corrupt` on data it cannot decode. */
  decode(stored: Uint8Array): Promise<Uint8Array>;
}
