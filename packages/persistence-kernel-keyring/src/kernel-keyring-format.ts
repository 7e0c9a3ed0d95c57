import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const MAGIC = [0x4d, 0x50, 0x4b, 0x4b]; // "MPKK": msal-persist kernel keyring
/** Version 1: magic, version, uid, key id; nothing bound. Read, never written. */
const V1 = 1;
/** Version 2: adds the writer's user namespace, and binds the file to its path (see {@link sealBlob}). */
const V2 = 2;
export const KEY_ID_BYTES = 16;
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const V1_HEADER_BYTES = MAGIC.length + 1 + 4 + KEY_ID_BYTES;
const V2_HEADER_BYTES = MAGIC.length + 1 + 4 + 8 + KEY_ID_BYTES;
/** The longest header: what a new process reads from the file to find the stored key. */
export const MAX_HEADER_BYTES = V2_HEADER_BYTES;

/**
 * What a file's header says. `userNamespace` is the inode of the writer's `/proc/self/ns/user`
 * (`0n` when it could not tell), `undefined` for version 1, which did not record it.
 *
 * @example
 * ```ts
 * const header = parseHeader(bytes); // { version: 2, uid: 1000, userNamespace: 4026531837n, keyId, length: 33 }
 * ```
 */
export interface BlobHeader {
  version: 1 | 2;
  uid: number;
  userNamespace: bigint | undefined;
  keyId: Uint8Array;
  /** Header length in bytes: where the IV starts. */
  length: number;
}

/**
 * The header of `stored`, or `undefined` when it is not a file this backend wrote (too short,
 * another magic or an unknown version). Reads only the fixed-size header, whatever follows.
 *
 * @example
 * ```ts
 * if (!parseHeader(bytes)) throw new Error('not a kernel-keyring cache file');
 * ```
 */
export function parseHeader(stored: Uint8Array): BlobHeader | undefined {
  if (stored.byteLength < V1_HEADER_BYTES || MAGIC.some((byte, i) => stored[i] !== byte)) return undefined;
  const version = stored[MAGIC.length];
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const uid = view.getUint32(MAGIC.length + 1);
  if (version === V1) {
    const keyId = stored.slice(V1_HEADER_BYTES - KEY_ID_BYTES, V1_HEADER_BYTES);
    return { version: 1, uid, userNamespace: undefined, keyId, length: V1_HEADER_BYTES };
  }
  if (version !== V2 || stored.byteLength < V2_HEADER_BYTES) return undefined;
  const userNamespace = view.getBigUint64(MAGIC.length + 5);
  const keyId = stored.slice(V2_HEADER_BYTES - KEY_ID_BYTES, V2_HEADER_BYTES);
  return { version: 2, uid, userNamespace, keyId, length: V2_HEADER_BYTES };
}

/**
 * The associated data of a file: its header, and for version 2 also the UTF-8 `binding` (by
 * default the file's absolute path), so a file decrypts only where it was written. The header
 * has a fixed length per version, so header + binding is unambiguous.
 */
function associatedData(stored: Uint8Array, header: BlobHeader, binding: string): Uint8Array {
  const head = stored.subarray(0, header.length);
  return header.version === 1 ? head : Buffer.concat([head, Buffer.from(binding, 'utf8')]);
}

/**
 * Encrypts `plain` as a version 2 file: `MPKK`, 2, uid (u32 BE), user namespace (u64 BE), key
 * id, a random 12-byte IV, the AES-256-GCM ciphertext and its 16-byte tag; the header and
 * `binding` are the associated data.
 *
 * @example
 * ```ts
 * const stored = sealBlob({ key, keyId, uid: 1000, userNamespace: 4026531837n, binding: path }, plain);
 * ```
 */
export function sealBlob(
  sealer: { key: Uint8Array; keyId: Uint8Array; uid: number; userNamespace: bigint; binding: string },
  plain: Uint8Array,
): Uint8Array {
  const head = new Uint8Array(V2_HEADER_BYTES);
  head.set(MAGIC, 0);
  head[MAGIC.length] = V2;
  const view = new DataView(head.buffer);
  view.setUint32(MAGIC.length + 1, sealer.uid);
  view.setBigUint64(MAGIC.length + 5, sealer.userNamespace);
  head.set(sealer.keyId, V2_HEADER_BYTES - KEY_ID_BYTES);
  const header = parseHeader(head) as BlobHeader; // just built in this format
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealer.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(head, header, sealer.binding));
  const sealed = Buffer.concat([head, iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
}

/** True when `stored` is long enough to hold its header, an IV and a tag. */
export function hasRoomForContent(stored: Uint8Array, header: BlobHeader): boolean {
  return stored.byteLength >= header.length + IV_BYTES + TAG_BYTES;
}

/**
 * Decrypts `stored` (whose parsed header is `header`) with `key`; throws when authentication
 * fails: another key, a changed byte, or (version 2) another `binding`.
 *
 * @example
 * ```ts
 * const plain = openBlob(stored, header, key, path);
 * ```
 */
export function openBlob(stored: Uint8Array, header: BlobHeader, key: Uint8Array, binding: string): Uint8Array {
  const ivEnd = header.length + IV_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key, stored.subarray(header.length, ivEnd), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(associatedData(stored, header, binding));
  decipher.setAuthTag(stored.subarray(stored.byteLength - TAG_BYTES));
  const plain = Buffer.concat([
    decipher.update(stored.subarray(ivEnd, stored.byteLength - TAG_BYTES)),
    decipher.final(),
  ]);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}
