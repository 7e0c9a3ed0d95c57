import type { webcrypto } from 'node:crypto';
import { type BytesCodec, PersistenceError } from '@msal-persist/core';

/** Format versions written as the first byte: 1 = no key id (one key), 2 = key id in the header (a key ring). */
const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_KEY_ID_BYTES = 255;

/**
 * A key of an {@link AesGcmCodec} key ring: an id stored in the header of every blob it seals (not
 * secret; say which key, e.g. `2026-12`), and 32 raw key bytes or an AES-GCM `CryptoKey`.
 *
 * @example
 * ```ts
 * const current: AesGcmKey = { id: '2026-12', key: Buffer.from(process.env.CACHE_KEY_2026_12 ?? '', 'base64') };
 * ```
 */
export interface AesGcmKey {
  /** 1 to 255 UTF-8 bytes. */
  id: string;
  key: Uint8Array | webcrypto.CryptoKey;
}

/**
 * Options for {@link AesGcmCodec}: one `key`, or a key ring `keys` for rotation.
 *
 * @example
 * ```ts
 * const options: AesGcmCodecOptions = { key: Buffer.from(process.env.CACHE_KEY ?? '', 'base64') };
 * const rotating: AesGcmCodecOptions = { keys: [{ id: 'k2', key: k2 }, { id: 'k1', key: k1 }] };
 * ```
 */
export interface AesGcmCodecOptions {
  /** 32 raw key bytes, or an AES-GCM `CryptoKey` allowed to encrypt and decrypt. Blobs carry no key id (format 1). */
  key?: Uint8Array | webcrypto.CryptoKey;
  /**
   * A key ring, instead of `key`: the FIRST key seals every new blob, with its id in the header
   * (format 2); every listed key opens the blobs carrying its id, and blobs of format 1 (sealed
   * with a plain `key` before the ring) are tried with each. Rotation without downtime: deploy
   * `[old, new]` everywhere (all can read the new key), then `[new, old]` (new blobs use it), then
   * drop `old` once every blob sealed with it was rewritten or expired.
   */
  keys?: readonly AesGcmKey[];
  /**
   * Authenticated but not encrypted context bound into every blob (e.g. the partition), so a blob
   * copied to another cache fails to decode. Default: none.
   */
  associatedData?: string;
}

interface RingKey {
  readonly id: Uint8Array | undefined;
  readonly key: Promise<webcrypto.CryptoKey>;
}

function importKey(key: Uint8Array | webcrypto.CryptoKey): Promise<webcrypto.CryptoKey> {
  if (!(key instanceof Uint8Array)) return Promise.resolve(key);
  if (key.byteLength !== 32) throw new TypeError(`AES-256-GCM needs a 32-byte key, got ${key.byteLength} bytes.`);
  const imported = globalThis.crypto.subtle.importKey('raw', Uint8Array.from(key), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  // A rejected import is reported by encode/decode; do not let it surface as unhandled first.
  imported.catch(() => undefined);
  return imported;
}

function ringOf(options: AesGcmCodecOptions): RingKey[] {
  if ((options.key === undefined) === (options.keys === undefined)) {
    throw new TypeError('Pass exactly one of key (one key) and keys (a key ring for rotation).');
  }
  if (options.key !== undefined) return [{ id: undefined, key: importKey(options.key) }];
  const keys = options.keys ?? [];
  if (keys.length === 0) throw new TypeError('keys must list at least one key; the first one encrypts.');
  const seen = new Set<string>();
  return keys.map(({ id, key }, index) => {
    const bytes = new TextEncoder().encode(id);
    if (typeof id !== 'string' || bytes.byteLength === 0 || bytes.byteLength > MAX_KEY_ID_BYTES) {
      throw new TypeError(`keys[${index}].id must be 1 to ${MAX_KEY_ID_BYTES} UTF-8 bytes.`);
    }
    if (seen.has(id)) throw new TypeError(`keys[${index}].id "${id}" is listed twice.`);
    seen.add(id);
    return { id: bytes, key: importKey(key) };
  });
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);

/**
 * AES-256-GCM at-rest encryption with WebCrypto (`globalThis.crypto.subtle`), a fresh random IV per
 * encode. One `key`: `[1][12-byte IV][ciphertext + 16-byte tag]`. A key ring `keys` (rotation):
 * `[2][id length][id][12-byte IV][ciphertext + tag]`, the header authenticated with the data.
 * Anything that does not decrypt (wrong or unknown key, tampering, foreign data) is a `Corrupt` error.
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
  private readonly ring: readonly RingKey[];
  private readonly associatedData: string | undefined;
  private readonly additionalData: Uint8Array | undefined;

  constructor(options: AesGcmCodecOptions) {
    this.ring = ringOf(options);
    this.associatedData = options.associatedData;
    this.additionalData =
      options.associatedData === undefined ? undefined : new TextEncoder().encode(options.associatedData);
  }

  /** 32 random bytes for a new key. Store them in your secret manager, not next to the cache. */
  static generateKey(): Uint8Array {
    return globalThis.crypto.getRandomValues(new Uint8Array(32));
  }

  /**
   * The same keys (imported once, shared) with `context` bound into every blob after this codec's
   * own associated data: a partitioned store binds each blob to its partition this way, so a blob
   * copied to another user's partition does not decode.
   *
   * @example
   * ```ts
   * const forUser = codec.boundTo(partitionHash);
   * ```
   */
  boundTo(context: string): AesGcmCodec {
    const bound: AesGcmCodec = Object.create(AesGcmCodec.prototype);
    const associatedData = `${this.associatedData ?? ''}\u0000${context}`;
    Object.assign(bound, {
      name: this.name,
      isEncrypted: true,
      ring: this.ring,
      associatedData,
      additionalData: new TextEncoder().encode(associatedData),
    });
    return bound;
  }

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    // biome-ignore lint/style/noNonNullAssertion: ringOf never returns an empty ring.
    const sealer = this.ring[0]!;
    const header = sealer.id
      ? Uint8Array.from([FORMAT_V2, sealer.id.byteLength, ...sealer.id])
      : Uint8Array.of(FORMAT_V1);
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = new Uint8Array(
      await globalThis.crypto.subtle.encrypt(this.params(iv, sealer.id ? header : undefined), await sealer.key, plain),
    );
    const out = new Uint8Array(header.byteLength + IV_BYTES + sealed.byteLength);
    out.set(header, 0);
    out.set(iv, header.byteLength);
    out.set(sealed, header.byteLength + IV_BYTES);
    return out;
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    if (stored.byteLength < 1 + IV_BYTES + TAG_BYTES) throw this.corrupt('it is too short to be an encrypted cache');
    if (stored[0] === FORMAT_V1) return this.open(stored, 1, undefined, this.ring);
    if (stored[0] !== FORMAT_V2) throw this.corrupt(`unknown format version ${stored[0]}`);
    const idLength = stored[1] ?? 0;
    const headerLength = 2 + idLength;
    if (idLength === 0 || stored.byteLength < headerLength + IV_BYTES + TAG_BYTES) {
      throw this.corrupt('its header is damaged');
    }
    const id = stored.subarray(2, headerLength);
    const key = this.ring.find((candidate) => candidate.id !== undefined && sameBytes(candidate.id, id));
    if (!key) {
      throw this.corrupt(
        'it was sealed with a key id that is not among this codec’s keys (add that key to keys, or it was tampered with)',
      );
    }
    return this.open(stored, headerLength, stored.slice(0, headerLength), [key]);
  }

  /** Decrypts the IV + ciphertext after `offset` with the first of `keys` that authenticates it. */
  private async open(
    stored: Uint8Array,
    offset: number,
    header: Uint8Array | undefined,
    keys: readonly RingKey[],
  ): Promise<Uint8Array> {
    const iv = stored.slice(offset, offset + IV_BYTES);
    let failure: unknown;
    for (const candidate of keys) {
      try {
        return new Uint8Array(
          await globalThis.crypto.subtle.decrypt(
            this.params(iv, header),
            await candidate.key,
            stored.subarray(offset + IV_BYTES),
          ),
        );
      } catch (error) {
        failure = error;
      }
    }
    throw this.corrupt('it does not decrypt with this key (wrong key, or tampered)', failure);
  }

  /** GCM parameters: the v2 header (when there is one) and then the associated data are authenticated. */
  private params(iv: Uint8Array, header: Uint8Array | undefined): webcrypto.AesGcmParams {
    const base = { name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 };
    if (!header) return this.additionalData ? { ...base, additionalData: this.additionalData } : base;
    const additional = new Uint8Array(header.byteLength + (this.additionalData?.byteLength ?? 0));
    additional.set(header, 0);
    if (this.additionalData) additional.set(this.additionalData, header.byteLength);
    return { ...base, additionalData: additional };
  }

  private corrupt(reason: string, cause?: unknown): PersistenceError {
    return new PersistenceError('Corrupt', `The stored cache cannot be decrypted: ${reason}. Check the codec key.`, {
      backend: this.name,
      cause,
    });
  }
}
