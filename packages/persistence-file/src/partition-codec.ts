import { timingSafeEqual } from 'node:crypto';
import { type BytesCodec, cacheRetention, isPersistenceError, PersistenceError } from '@msal-persist/core';

// `MPPS<version> <retention ms | ->\n`: plain ASCII in front of the (possibly encrypted) body, so a
// sweep reads a partition's retention from its first bytes without decrypting anything.
const MAGIC = 'MPPS';
const VERSION = '1';
/** Longest header: magic, version, a space, 16 digits of epoch ms (year 2286 has 14), newline. */
export const MAX_PARTITION_HEADER_BYTES = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a partition file's header says: when it may be dropped (`undefined`: whenever). */
export interface PartitionHeader {
  retention: number | undefined;
  /** Header length: the body starts here. */
  bodyStart: number;
}

/**
 * Reads the header at the start of a partition file, or `undefined` when there is none (an empty
 * file, or one this store did not write). Any version is read, so an older sweeper never judges a
 * newer file headerless.
 *
 * @example
 * ```ts
 * readPartitionHeader(new TextEncoder().encode('MPPS1 1767225600000\n{}')); // { retention: 1767225600000, bodyStart: 20 }
 * ```
 */
export function readPartitionHeader(stored: Uint8Array): PartitionHeader | undefined {
  const end = stored.subarray(0, MAX_PARTITION_HEADER_BYTES).indexOf(0x0a);
  if (end < 0) return undefined;
  const match = /^MPPS\d+ (\d{1,16}|-)$/.exec(decoder.decode(stored.subarray(0, end)));
  if (!match) return undefined;
  return { retention: match[1] === '-' ? undefined : Number(match[1]), bodyStart: end + 1 };
}

/** A codec that can tell content whose key is gone for good (`KernelKeyringCodec`). */
interface KeyAwareCodec extends BytesCodec {
  keyIsGone?(stored: Uint8Array): Promise<boolean>;
}

/** Options for {@link PartitionCodec}. */
export interface PartitionCodecOptions {
  /** The store's codec (encryption), shared by all partitions; none stores the cache as it is. */
  inner: BytesCodec | undefined;
  /**
   * The partition's identity (the hash its file is named by). With an encrypting `inner`, it is
   * sealed with the cache, so a file copied over another partition's fails to load there.
   */
  binding: Uint8Array;
  /** Backend name for errors. */
  backend: string;
  /** Passed to `cacheRetention`. */
  refreshTokenIdleMs: number | undefined;
  /** The clock of the save, in epoch ms. */
  now: () => number;
}

/**
 * The codec a folder store's partition file goes through: a retention header (from core's
 * `cacheRetention`, computed on the plaintext) in front of the store codec's output, with the
 * partition's binding sealed inside when that codec encrypts.
 *
 * @example
 * ```ts
 * const codec = new PartitionCodec({ inner: undefined, binding, backend: 'folder:/srv/cache#ab12', refreshTokenIdleMs: undefined, now: Date.now });
 * new FilePersistence(path, { codec });
 * ```
 */
export class PartitionCodec implements BytesCodec {
  readonly name: string;
  readonly isEncrypted: boolean;
  private readonly options: PartitionCodecOptions;

  constructor(options: PartitionCodecOptions) {
    this.options = options;
    this.name = options.inner?.name ?? 'plaintext';
    this.isEncrypted = options.inner?.isEncrypted ?? false;
  }

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    const { inner, binding, refreshTokenIdleMs, now } = this.options;
    const retention = cacheRetention(plain, {
      now: now(),
      ...(refreshTokenIdleMs === undefined ? {} : { refreshTokenIdleMs }),
    });
    const header = encoder.encode(`${MAGIC}${VERSION} ${retention === undefined ? '-' : Math.ceil(retention)}\n`);
    const body = inner?.isEncrypted
      ? await inner.encode(concat(binding, plain))
      : inner
        ? await inner.encode(plain)
        : plain;
    return concat(header, body);
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    const { inner, binding } = this.options;
    const header = readPartitionHeader(stored);
    if (!header) throw this.corrupt('it has no partition header: this store did not write it');
    const body = stored.subarray(header.bodyStart);
    if (!inner) return body;
    let plain: Uint8Array;
    try {
      plain = await inner.decode(body);
    } catch (error) {
      if (isPersistenceError(error)) throw error;
      throw this.corrupt(`${inner.name} could not decode it`, error);
    }
    if (!inner.isEncrypted) return plain;
    const bound = plain.subarray(0, binding.byteLength);
    if (bound.byteLength !== binding.byteLength || !timingSafeEqual(bound, binding)) {
      throw this.corrupt("it belongs to another partition (copied over this one's file)");
    }
    return plain.subarray(binding.byteLength);
  }

  /**
   * True when `stored` can provably never be decoded: the store codec says its key is gone (the
   * kernel-keyring codec's `keyIsGone`). Codecs without that check never say so.
   */
  async isUnrecoverable(stored: Uint8Array): Promise<boolean> {
    const header = readPartitionHeader(stored);
    const check = (this.options.inner as KeyAwareCodec | undefined)?.keyIsGone;
    if (!header || typeof check !== 'function') return false;
    return check.call(this.options.inner, stored.subarray(header.bodyStart));
  }

  private corrupt(reason: string, cause?: unknown): PersistenceError {
    return new PersistenceError('Corrupt', `The partition cannot be read: ${reason}. It is kept aside.`, {
      backend: this.options.backend,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
