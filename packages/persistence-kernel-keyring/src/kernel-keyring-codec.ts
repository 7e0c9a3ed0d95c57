import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type BytesCodec, isPersistenceError, PersistenceError } from '@msal-persist/core';
import { type KernelKeyring, KeyctlError, type KeyringScope } from './kernel-keyring.js';
import { KoffiKernelKeyring } from './koffi-kernel-keyring.js';

/**
 * Options for {@link KernelKeyringCodec}.
 *
 * @example
 * ```ts
 * const options: KernelKeyringCodecOptions = { backend: 'kernel-keyring:/home/me/.cache/app/msal.cache', scope: 'user' };
 * ```
 */
export interface KernelKeyringCodecOptions {
  /** The persistence's name, for errors. */
  backend: string;
  /** Which kernel keyring holds the key. Default `persistent` (see {@link KeyringScope}). */
  scope?: KeyringScope;
  /** The keyring calls. Default: the real syscalls through koffi, loaded on first use. */
  kernel?: () => Promise<KernelKeyring>;
  /** Reads the header of what is stored now, so a new process reuses the stored key instead of adding one. */
  storedHeader?: () => Promise<Uint8Array | undefined>;
}

const MAGIC = [0x4d, 0x50, 0x4b, 0x4b]; // "MPKK": msal-persist kernel keyring
const VERSION = 1;
const KEY_ID_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** magic, version, writer uid (u32 big-endian), key id; authenticated as associated data. */
const HEADER_BYTES = MAGIC.length + 1 + 4 + KEY_ID_BYTES;
const DESCRIPTION_PREFIX = 'msal-persist:aes-256-gcm:';

interface Header {
  uid: number;
  keyId: Uint8Array;
}

/**
 * What is stored: `MPKK`, version 1, the writer's uid, the 16-byte id of its key, a 12-byte IV,
 * then the AES-256-GCM ciphertext and 16-byte tag, with the first 25 bytes as associated data.
 * `undefined` when the bytes are not in this format.
 */
function parseHeader(stored: Uint8Array): Header | undefined {
  if (stored.byteLength < HEADER_BYTES) return undefined;
  if (MAGIC.some((byte, i) => stored[i] !== byte) || stored[MAGIC.length] !== VERSION) return undefined;
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  return { uid: view.getUint32(MAGIC.length + 1), keyId: stored.slice(HEADER_BYTES - KEY_ID_BYTES, HEADER_BYTES) };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * AES-256-GCM with a key that exists only in the Linux kernel keyring: a random 32-byte `user`
 * key named `msal-persist:aes-256-gcm:<key id>`, added on the first save and found again by the
 * id the file carries. The key never touches the disk; the file is useless without it.
 *
 * - The key is gone (reboot, expiry, `keyctl unlink`): `decode` fails with `Corrupt`, saying so,
 *   and the next `encode` adds a new key. The cache plugin starts empty with a warning.
 * - A file written by another user, or changed by anyone: `Corrupt`.
 * - The kernel refuses the calls (a container's seccomp profile, Docker's default among them):
 *   `NotAvailable`, with the errno.
 *
 * @example
 * ```ts
 * const persistence = new FilePersistence(path, { codec: new KernelKeyringCodec({ backend: `kernel-keyring:${path}` }) });
 * ```
 */
export class KernelKeyringCodec implements BytesCodec {
  readonly name = 'aes-256-gcm, key in the kernel keyring';
  readonly isEncrypted = true;
  private readonly backend: string;
  private readonly scope: KeyringScope;
  private readonly loadKernel: () => Promise<KernelKeyring>;
  private readonly storedHeader: (() => Promise<Uint8Array | undefined>) | undefined;
  private kernel: Promise<KernelKeyring> | undefined;
  /** The key last used or seen: new saves keep using it while it exists. */
  private keyId: Uint8Array | undefined;

  constructor(options: KernelKeyringCodecOptions) {
    this.backend = options.backend;
    if (options.scope !== undefined && options.scope !== 'persistent' && options.scope !== 'user') {
      throw new TypeError(`scope must be 'persistent' or 'user', got ${JSON.stringify(options.scope)}.`);
    }
    this.scope = options.scope ?? 'persistent';
    this.loadKernel = options.kernel ?? (() => KoffiKernelKeyring.load());
    this.storedHeader = options.storedHeader;
  }

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    const uid = await this.call((kernel) => kernel.uid());
    if (!this.keyId) {
      const header = parseHeader((await this.storedHeader?.()) ?? new Uint8Array(0));
      if (header?.uid === uid) this.keyId = header.keyId;
    }
    const { keyId, key } = await this.call((kernel) => this.currentOrNewKey(kernel));
    const header = new Uint8Array(HEADER_BYTES);
    header.set(MAGIC, 0);
    header[MAGIC.length] = VERSION;
    new DataView(header.buffer).setUint32(MAGIC.length + 1, uid);
    header.set(keyId, HEADER_BYTES - KEY_ID_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(header);
    const sealed = Buffer.concat([header, iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    const header = parseHeader(stored);
    if (!header || stored.byteLength < HEADER_BYTES + IV_BYTES + TAG_BYTES) {
      throw this.corrupt('it is not a file this backend wrote (no MPKK header)');
    }
    const uid = await this.call((kernel) => kernel.uid());
    if (header.uid !== uid) {
      throw this.corrupt(`it was written by uid ${header.uid}, and only that user's kernel keyring holds its key`);
    }
    const key = await this.call((kernel) => {
      const serial = kernel.search(kernel.keyring(this.scope).id, DESCRIPTION_PREFIX + hex(header.keyId));
      return serial === null ? null : kernel.read(serial);
    });
    if (key === null) {
      throw this.corrupt(
        `its key ${hex(header.keyId)} is no longer in the kernel keyring (the machine rebooted, the keyring expired ` +
          'unused, or the key was removed), so it can never be decrypted; the next save starts a new cache',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, stored.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(stored.subarray(0, HEADER_BYTES));
      decipher.setAuthTag(stored.subarray(stored.byteLength - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(stored.subarray(HEADER_BYTES + IV_BYTES, stored.byteLength - TAG_BYTES)),
        decipher.final(),
      ]);
      this.keyId = header.keyId;
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
    } catch (cause) {
      throw this.corrupt('it does not decrypt with its key: it was changed or damaged', cause);
    }
  }

  /**
   * True when `stored` is this user's file and its key is gone from the kernel keyring: nothing
   * can ever decrypt it, so keeping it aside would only leave litter after each reboot.
   */
  async keyIsGone(stored: Uint8Array): Promise<boolean> {
    const header = parseHeader(stored);
    if (!header) return false;
    return this.call(
      (kernel) =>
        header.uid === kernel.uid() &&
        kernel.search(kernel.keyring(this.scope).id, DESCRIPTION_PREFIX + hex(header.keyId)) === null,
    );
  }

  /** Removes the key `stored` names from the keyring, if it is this user's and still there. */
  async removeKey(stored: Uint8Array): Promise<void> {
    const header = parseHeader(stored);
    if (!header) return;
    await this.call((kernel) => {
      if (header.uid !== kernel.uid()) return;
      const keyring = kernel.keyring(this.scope).id;
      const serial = kernel.search(keyring, DESCRIPTION_PREFIX + hex(header.keyId));
      if (serial !== null) kernel.unlink(keyring, serial);
    });
    if (this.keyId && hex(this.keyId) === hex(header.keyId)) this.keyId = undefined;
  }

  private currentOrNewKey(kernel: KernelKeyring): { keyId: Uint8Array; key: Uint8Array } {
    const keyring = kernel.keyring(this.scope).id;
    if (this.keyId) {
      const serial = kernel.search(keyring, DESCRIPTION_PREFIX + hex(this.keyId));
      const key = serial === null ? null : kernel.read(serial);
      if (key?.byteLength === KEY_BYTES) return { keyId: this.keyId, key };
    }
    const keyId = randomBytes(KEY_ID_BYTES);
    const key = randomBytes(KEY_BYTES);
    kernel.add(keyring, DESCRIPTION_PREFIX + hex(keyId), key);
    this.keyId = keyId;
    return { keyId, key };
  }

  private async call<T>(run: (kernel: KernelKeyring) => T): Promise<T> {
    this.kernel ??= this.loadKernel().catch((error: unknown) => {
      this.kernel = undefined;
      throw error;
    });
    const kernel = await this.kernel;
    try {
      return run(kernel);
    } catch (error) {
      throw this.mapError(error);
    }
  }

  private mapError(error: unknown): PersistenceError {
    if (isPersistenceError(error)) return error;
    const code = error instanceof KeyctlError ? error.code : undefined;
    const options = { backend: this.backend, cause: error };
    if (code === 'EPERM' || code === 'EACCES' || code === 'ENOSYS') {
      return new PersistenceError(
        'NotAvailable',
        `The kernel refused the keyring call (${code}): a container's seccomp profile blocks add_key/keyctl (Docker's default ` +
          'does), or keyrings are disabled. Allow them, or use another backend.',
        options,
      );
    }
    if (code === 'EDQUOT') {
      return new PersistenceError(
        'NoSpace',
        "This user's kernel key quota is full (/proc/sys/kernel/keys/maxkeys and maxbytes). Remove unused keys " +
          '(`keyctl show @u`), or raise the quota.',
        options,
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new PersistenceError('Io', `A kernel keyring call failed (${detail}).`, options);
  }

  private corrupt(reason: string, cause?: unknown): PersistenceError {
    return new PersistenceError('Corrupt', `The token cache cannot be decrypted: ${reason}.`, {
      backend: this.backend,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}
