import { randomBytes } from 'node:crypto';
import { type BytesCodec, isPersistenceError, PersistenceError } from '@msal-persist/core';
import { type KernelKeyring, KeyctlError, type KeyringScope } from './kernel-keyring.js';
import {
  type BlobHeader,
  hasRoomForContent,
  KEY_BYTES,
  KEY_ID_BYTES,
  openBlob,
  parseHeader,
  sealBlob,
} from './kernel-keyring-format.js';
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
  /**
   * What each file is bound to: authenticated with it, so a file decrypts only where it was written
   * (app A's file copied over app B's fails in B). `KernelKeyringPersistence` passes the file's
   * absolute path. Default `''` (bound to nothing).
   */
  binding?: string;
  /** Reads the header of what is stored now, so a new process reuses the stored key instead of adding one. */
  storedHeader?: () => Promise<Uint8Array | undefined>;
}

const DESCRIPTION_PREFIX = 'msal-persist:aes-256-gcm:';
/** The user namespace could not be told (no /proc): never proof that a key is gone. */
const UNKNOWN_NAMESPACE = 0n;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * AES-256-GCM with a key that exists only in the Linux kernel keyring: a random 32-byte `user`
 * key named `msal-persist:aes-256-gcm:<key id>`, added on the first save and found again by the
 * id the file carries. The key never touches the disk; the file is useless without it.
 *
 * - The key is gone (reboot, expiry, `keyctl unlink`): `decode` fails with `Corrupt`, saying so,
 *   and the next `encode` adds a new key. The cache plugin starts empty with a warning.
 * - A file written by another user, changed by anyone, or written under another `binding` (a
 *   copy from another cache path): `Corrupt`.
 * - A file written in another user namespace (a rootless container) whose key this process
 *   cannot see: `Corrupt`, and {@link KernelKeyringCodec.keyIsGone} says no, so it is kept aside.
 * - The kernel refuses the calls (a container's seccomp profile, Docker's default among them):
 *   `NotAvailable`, with the errno.
 *
 * @example
 * ```ts
 * const codec = new KernelKeyringCodec({ backend: `kernel-keyring:${path}`, binding: path });
 * const persistence = new FilePersistence(path, { codec });
 * ```
 */
export class KernelKeyringCodec implements BytesCodec {
  readonly name = 'aes-256-gcm, key in the kernel keyring';
  readonly isEncrypted = true;
  private readonly backend: string;
  private readonly scope: KeyringScope;
  private readonly loadKernel: () => Promise<KernelKeyring>;
  private readonly storedHeader: (() => Promise<Uint8Array | undefined>) | undefined;
  private readonly binding: string;
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
    this.binding = options.binding ?? '';
  }

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    const uid = await this.call((kernel) => kernel.uid());
    if (!this.keyId) {
      const header = parseHeader((await this.storedHeader?.()) ?? new Uint8Array(0));
      if (header?.uid === uid) this.keyId = header.keyId;
    }
    const { keyId, key, userNamespace } = await this.call((kernel) => ({
      ...this.currentOrNewKey(kernel),
      userNamespace: kernel.userNamespace(),
    }));
    return sealBlob({ key, keyId, uid, userNamespace, binding: this.binding }, plain);
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    const header = parseHeader(stored);
    if (!header || !hasRoomForContent(stored, header)) {
      throw this.corrupt('it is not a file this backend wrote (no MPKK header)');
    }
    const { uid, userNamespace, key } = await this.call((kernel) => {
      const serial = kernel.search(kernel.keyring(this.scope).id, DESCRIPTION_PREFIX + hex(header.keyId));
      return {
        uid: kernel.uid(),
        userNamespace: kernel.userNamespace(),
        key: serial === null ? null : kernel.read(serial),
      };
    });
    if (header.uid !== uid) {
      throw this.corrupt(`it was written by uid ${header.uid}, and only that user's kernel keyring holds its key`);
    }
    if (key === null) throw this.corrupt(this.whyNoKey(header, userNamespace));
    try {
      const plain = openBlob(stored, header, key, this.binding);
      this.keyId = header.keyId;
      return plain;
    } catch (cause) {
      throw this.corrupt(
        'it does not decrypt with its key: it was changed or damaged, or copied here from another cache path ' +
          '(each file is bound to the path it was written at); it is kept aside',
        cause,
      );
    }
  }

  /**
   * True only when `stored` is this user's file, written in this very user namespace, and its key
   * is gone from the kernel keyring: nothing can ever decrypt it, so keeping it aside would only
   * leave litter after each reboot. Another user namespace has keyrings of its own (a rootless
   * container, `unshare -U`): its key may well exist there, so such a file is never "gone" here.
   */
  async keyIsGone(stored: Uint8Array): Promise<boolean> {
    const header = parseHeader(stored);
    if (!header) return false;
    return this.call(
      (kernel) =>
        header.uid === kernel.uid() &&
        this.writtenHere(header, kernel.userNamespace()) &&
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

  /** True when the header proves the file was written in user namespace `current` (so its keyrings are ours). */
  private writtenHere(header: BlobHeader, current: bigint): boolean {
    return (
      header.userNamespace !== undefined &&
      header.userNamespace !== UNKNOWN_NAMESPACE &&
      header.userNamespace === current
    );
  }

  private whyNoKey(header: BlobHeader, current: bigint): string {
    const key = `its key ${hex(header.keyId)}`;
    if (this.writtenHere(header, current)) {
      return (
        `${key} is no longer in the kernel keyring (the machine rebooted, the keyring expired unused, or the key ` +
        'was removed), so it can never be decrypted; the next save starts a new cache'
      );
    }
    if (header.userNamespace !== undefined && header.userNamespace !== UNKNOWN_NAMESPACE) {
      return (
        `it was written in another user namespace (${header.userNamespace}; this process runs in ${current}: a ` +
        `rootless container or \`unshare -U\` sharing this folder), whose kernel keyrings this process cannot see: ` +
        `${key} may still exist there, so the file is kept aside, not deleted. Give each user namespace its own cache path`
      );
    }
    return (
      `${key} is not in this process's kernel keyring: gone after a reboot or expiry, or held by another user ` +
      "namespace's keyring (a file of format version 1, or a writer that could not tell its namespace, does not say " +
      'which), so the file is kept aside, not deleted; the next save starts a new cache'
    );
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
