import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from '@msal-persist/core';
import { FilePersistence } from '@msal-persist/persistence-file';
import type { KernelKeyring, KeyringScope } from './kernel-keyring.js';
import { KernelKeyringCodec, type KernelKeyringCodecOptions } from './kernel-keyring-codec.js';
import { MAX_HEADER_BYTES } from './kernel-keyring-format.js';

/**
 * Options for {@link KernelKeyringPersistence}.
 *
 * @example
 * ```ts
 * const options: KernelKeyringPersistenceOptions = { scope: 'persistent' };
 * ```
 */
export interface KernelKeyringPersistenceOptions {
  /** Which kernel keyring holds the key. Default `persistent`: see {@link KeyringScope}. */
  scope?: KeyringScope;
  /** File mode on POSIX. Default `0o600`; folders created for it get `0o700`. */
  mode?: number;
  /**
   * What the file is bound to (authenticated with it, so a file copied from another cache path
   * does not decrypt). Default: the file's absolute path. Give a fixed name (e.g. the app's) when
   * one cache is legitimately reached by several paths, such as a container that mounts the folder
   * elsewhere; every process of that cache must then pass the same value.
   */
  binding?: string;
  /** Backend name for messages. Default `kernel-keyring:${path}`. */
  name?: string;
  /** Receives `FilePersistence`'s warning about a cache folder others may write. Default: the console. */
  logger?: Logger;
  /** The keyring calls (tests). Default: the real syscalls through koffi. */
  kernel?: () => Promise<KernelKeyring>;
}

/**
 * The first `limit` bytes of `path` (all of it by default), or `undefined` when it is missing,
 * unreadable, not a regular file (a symbolic link is not followed; a FIFO never hangs us: opened
 * non-blocking and checked), or not this user's: the key a file names is removed on `delete`, and
 * reused on save, so only a file we wrote may name it.
 */
async function readStart(path: string, limit = Number.POSITIVE_INFINITY): Promise<Uint8Array | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
    const stats = await handle.stat();
    const uid = process.getuid?.();
    if (!stats.isFile() || (uid !== undefined && stats.uid !== uid)) return undefined;
    const buffer = new Uint8Array(Math.min(stats.size, limit));
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/**
 * The msal token cache as an AES-256-GCM encrypted file whose key lives only in the Linux kernel
 * keyring: encrypted at rest where no Secret Service runs (SSH sessions, WSL, containers, CI,
 * servers). Atomic saves, the change stamp and keeping unreadable content aside are
 * {@link FilePersistence}'s; pair it with a `FileLock` at `${path}.lockfile`.
 *
 * When the key is gone (reboot, the persistent keyring expired unused, `keyctl unlink`) the file
 * cannot be decrypted: `load` fails with `Corrupt`, so the cache plugin warns and starts empty
 * (users sign in again), and the next save writes a new key. That undecryptable file is deleted,
 * not kept aside — only when it was written in this user namespace: a process in another one (a
 * rootless container sharing the folder) sees other keyrings, so there the file is kept aside. A
 * file of another user, one changed by anyone, or one copied from another cache path is `Corrupt`
 * too (and kept aside). Where the kernel refuses the keyring calls (a container's seccomp profile) every call
 * fails with `NotAvailable`.
 *
 * @example
 * ```ts
 * import { PersistenceCachePlugin } from '@msal-persist/core';
 * import { FileLock } from '@msal-persist/persistence-file';
 * import { KernelKeyringPersistence } from '@msal-persist/persistence-kernel-keyring';
 *
 * const path = '/home/me/.cache/my-daemon/msal.cache.kernel-keyring';
 * const cachePlugin = new PersistenceCachePlugin({
 *   persistence: new KernelKeyringPersistence(path),
 *   lock: new FileLock(`${path}.lockfile`),
 * });
 * ```
 */
export class KernelKeyringPersistence extends FilePersistence {
  /** The keyring the key is kept in (as asked; a kernel without persistent keyrings uses `user`). */
  readonly scope: KeyringScope;
  private readonly keyCodec: KernelKeyringCodec;

  constructor(path: string, options: KernelKeyringPersistenceOptions = {}) {
    const name = options.name ?? `kernel-keyring:${path}`;
    const codecOptions: KernelKeyringCodecOptions = {
      backend: name,
      // As FilePersistence resolves it (node's resolve): the same string every process computes.
      binding: options.binding ?? resolve(path),
      storedHeader: () => readStart(path, MAX_HEADER_BYTES),
      ...(options.scope === undefined ? {} : { scope: options.scope }),
      ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
    };
    const codec = new KernelKeyringCodec(codecOptions);
    super(path, {
      name,
      codec,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    this.keyCodec = codec;
    this.scope = options.scope ?? 'persistent';
  }

  /** Removes the file and its key. */
  override async delete(): Promise<void> {
    const stored = await readStart(this.path);
    await super.delete();
    if (stored) await this.keyCodec.removeKey(stored).catch(() => undefined);
  }

  /**
   * Keeps unreadable content aside, except a file whose key is provably gone (written in this user
   * namespace, no key there): nothing can read it, so it is deleted.
   */
  override async keepAside(): Promise<string | undefined> {
    const stored = await readStart(this.path);
    if (stored && (await this.keyCodec.keyIsGone(stored).catch(() => false))) {
      await super.delete();
      return undefined;
    }
    return super.keepAside();
  }
}
