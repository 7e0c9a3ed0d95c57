import type { webcrypto } from 'node:crypto';
import { type BytesCodec, PersistenceError } from '@msal-persist/core';

/** Format version written as the first byte; bump when the layout changes. */
const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Options for {@link AesGcmCodec}.
 *
 * @example
 * ```ts
 * const options: AesGcmCodecOptions = { key: Buffer.from(process.env.CACHE_KEY ?? '', 'base64') };
 * ```
 */
export interface AesGcmCodecOptions {
  /** 32 raw key bytes, or an AES-GCM `CryptoKey` allowed to encrypt and decrypt. */
  key: Uint8Array | webcrypto.CryptoKey;
  /**
   * Authenticated but not encrypted context bound into every blob (e.g. the partition), so a blob
   * copied to another cache fails to decode. Default: none.
   */
  associatedData?: string;
}

/**
 * AES-256-GCM at-rest encryption with WebCrypto (`globalThis.crypto.subtle`). Blob layout:
 * `[1 version byte = 1][12-byte random IV][ciphertext + 16-byte tag]`, a fresh IV per encode.
 * Anything that does not decrypt (wrong key, tampering, foreign data) is a `Corrupt` error.
 *
 * @example
 * ```ts
 * const codec = new AesGcmCodec({ key: AesGcmCodec.generateKey() });
 * const cache = await createRedisCache({ url, codec });
 * ```
 */
export class AesGcmCodec implements BytesCodec {
  readonly name = 'aes-256-gcm';
  readonly isEncrypted = true;
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly additionalData: Uint8Array | undefined;

  constructor(options: AesGcmCodecOptions) {
    const { key } = options;
    if (key instanceof Uint8Array) {
      if (key.byteLength !== 32) throw new TypeError(`AES-256-GCM needs a 32-byte key, got ${key.byteLength} bytes.`);
      this.key = globalThis.crypto.subtle.importKey('raw', Uint8Array.from(key), 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ]);
    } else {
      this.key = Promise.resolve(key);
    }
    // A rejected import is reported by encode/decode; do not let it surface as unhandled first.
    this.key.catch(() => undefined);
    this.additionalData =
      options.associatedData === undefined ? undefined : new TextEncoder().encode(options.associatedData);
  }

  /** 32 random bytes for a new key. Store them in your secret manager, not next to the cache. */
  static generateKey(): Uint8Array {
    return globalThis.crypto.getRandomValues(new Uint8Array(32));
  }

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(this.params(iv), await this.key, plain));
    const out = new Uint8Array(1 + IV_BYTES + sealed.byteLength);
    out[0] = FORMAT_V1;
    out.set(iv, 1);
    out.set(sealed, 1 + IV_BYTES);
    return out;
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    if (stored.byteLength < 1 + IV_BYTES + TAG_BYTES) throw this.corrupt('it is too short to be an encrypted cache');
    if (stored[0] !== FORMAT_V1) throw this.corrupt(`unknown format version ${stored[0]}`);
    const iv = stored.slice(1, 1 + IV_BYTES);
    try {
      return new Uint8Array(
        await globalThis.crypto.subtle.decrypt(this.params(iv), await this.key, stored.subarray(1 + IV_BYTES)),
      );
    } catch (error) {
      throw this.corrupt('it does not decrypt with this key (wrong key, or tampered)', error);
    }
  }

  private params(iv: Uint8Array): webcrypto.AesGcmParams {
    return this.additionalData
      ? { name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8, additionalData: this.additionalData }
      : { name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 };
  }

  private corrupt(reason: string, cause?: unknown): PersistenceError {
    return new PersistenceError('Corrupt', `The stored cache cannot be decrypted: ${reason}. Check the codec key.`, {
      backend: this.name,
      cause,
    });
  }
}
