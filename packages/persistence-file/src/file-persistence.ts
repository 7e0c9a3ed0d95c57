import { promises as fsp } from 'node:fs';
import { asideName, type BytesCodec, isPersistenceError, type Persistence, PersistenceError } from '@msal-persist/core';
import { toFileError } from './file-errors.js';
import { fileStamp } from './file-stamp.js';
import type { AtomicFileSystem } from './file-system.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * Options for {@link FilePersistence}.
 *
 * @example
 * ```ts
 * const options: FilePersistenceOptions = { mode: 0o600, name: 'my-app token cache' };
 * ```
 */
export interface FilePersistenceOptions {
  /** File mode on POSIX. Default `0o600`; folders created for it get `0o700`. */
  mode?: number;
  /**
   * Transforms bytes on their way to and from the disk (encryption at rest). A 0-byte file is an
   * empty cache and is never decoded; decode failures surface as `Corrupt`.
   */
  codec?: BytesCodec;
  /** Backend name for messages. Default `file:${path}`. */
  name?: string;
  /** File-system seam for the atomic write, for tests that inject failures. */
  fs?: AtomicFileSystem;
}

/**
 * A token cache in one file: atomic saves (temp file, fsync, rename), owner-only permissions on
 * POSIX, and a `stat`-based change stamp. Plaintext unless given an encrypting `codec`.
 *
 * A directory found where the file should be is reported by `load` as `Corrupt`, so the cache
 * plugin carries on with an empty cache and `keepAside` moves the directory out of the way.
 *
 * @example
 * ```ts
 * import { FileLock, FilePersistence } from '@msal-persist/persistence-file';
 * import { PersistenceCachePlugin } from '@msal-persist/core';
 *
 * const path = '/home/me/.cache/my-app/msal.json';
 * const cachePlugin = new PersistenceCachePlugin({
 *   persistence: new FilePersistence(path),
 *   lock: new FileLock(`${path}.lockfile`),
 * });
 * ```
 */
export class FilePersistence implements Persistence {
  /** Absolute or relative path of the cache file. */
  readonly path: string;
  readonly name: string;
  readonly isEncrypted: boolean;
  private readonly mode: number;
  private readonly codec: BytesCodec | undefined;
  private readonly fs: AtomicFileSystem | undefined;

  constructor(path: string, options: FilePersistenceOptions = {}) {
    this.path = path;
    this.name = options.name ?? `file:${path}`;
    this.mode = options.mode ?? 0o600;
    this.codec = options.codec;
    this.isEncrypted = options.codec?.isEncrypted ?? false;
    this.fs = options.fs;
  }

  async load(): Promise<Uint8Array | null> {
    let stored: Buffer;
    try {
      stored = await fsp.readFile(this.path);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT') return null;
      if (code === 'EISDIR') {
        throw new PersistenceError(
          'Corrupt',
          `${this.path} is a directory, not a cache file. It is moved aside at the next save; remove it if it is not needed.`,
          { backend: this.name, cause: error },
        );
      }
      throw toFileError(error, this.name, `read the token cache ${this.path}`);
    }
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
    if (bytes.byteLength === 0 || !this.codec) return bytes;
    try {
      return await this.codec.decode(bytes);
    } catch (error) {
      // A typed codec error (NotAvailable, AccessDenied) is not damaged content: passing it on keeps
      // the plugin from starting empty and moving a good cache aside.
      if (isPersistenceError(error)) throw error;
      throw new PersistenceError(
        'Corrupt',
        `${this.path} could not be decoded by ${this.codec.name}; it was written by another user, machine or program, or is damaged.`,
        { backend: this.name, cause: error },
      );
    }
  }

  async save(data: Uint8Array): Promise<string> {
    const stored = data.byteLength > 0 && this.codec ? await this.codec.encode(data) : data;
    return writeFileAtomic(this.path, stored, {
      mode: this.mode,
      backend: this.name,
      ...(this.fs ? { fs: this.fs } : {}),
    });
  }

  async delete(): Promise<void> {
    try {
      await fsp.unlink(this.path);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return;
      throw toFileError(error, this.name, `delete the token cache ${this.path}`);
    }
  }

  stamp(): string {
    try {
      return fileStamp(this.path);
    } catch (error) {
      throw toFileError(error, this.name, `check the token cache ${this.path} for changes`);
    }
  }

  async keepAside(): Promise<string | undefined> {
    const now = new Date();
    for (let attempt = 0; ; attempt++) {
      const target = asideName(this.path, attempt, now);
      // rename silently replaces an existing file; never overwrite an earlier kept copy.
      if (
        await fsp.lstat(target).then(
          () => true,
          () => false,
        )
      )
        continue;
      try {
        await fsp.rename(this.path, target);
        return target;
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
        throw toFileError(error, this.name, `move the unreadable token cache ${this.path} aside`);
      }
    }
  }
}
