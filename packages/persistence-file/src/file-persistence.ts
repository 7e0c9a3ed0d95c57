import { promises as fsp, fstatSync, readFileSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  asideName,
  type BytesCodec,
  consoleLogger,
  isPersistenceError,
  type Logger,
  type Persistence,
  PersistenceError,
  type SaveOptions,
} from '@msal-persist/core';
import { errnoOf, toFileError } from './file-errors.js';
import { cacheFileStamp, clearedMarkerPath } from './file-stamp.js';
import { type AtomicFileSystem, nodeFileSystem } from './file-system.js';
import { fileKind, READ_OWN_FILE } from './regular-file.js';
import { resolveFilePath } from './resolve-path.js';
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
  /** File-system seam for the atomic write and the stamp, for tests that inject failures or coarse clocks. */
  fs?: AtomicFileSystem;
  /**
   * Receives the warning about a cache folder others may write (once per instance). Default: the
   * console, as the cache plugin's; `{}` silences it.
   */
  logger?: Logger;
}

/**
 * A token cache in one file: atomic saves (temp file, fsync, rename), owner-only permissions on
 * POSIX, and a `stat`-based change stamp. Plaintext unless given an encrypting `codec`.
 *
 * The path is made absolute once, at construction, and must not be a folder. Anything but a
 * regular file found there later (a folder, a FIFO, a symbolic link, which is never followed) is
 * reported by `load` as `Corrupt` without blocking, so the cache plugin carries on with an empty
 * cache; `keepAside` moves only regular files. On POSIX `load` reads only a file owned by this
 * user and writable by nobody else (else `AccessDenied`: someone else could have written it), and
 * warns once when the folder may be written by others without the sticky bit.
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
  /** Absolute path of the cache file (a relative one is resolved once, at construction). */
  readonly path: string;
  readonly name: string;
  readonly isEncrypted: boolean;
  private readonly mode: number;
  private readonly codec: BytesCodec | undefined;
  private readonly fs: AtomicFileSystem;
  private readonly logger: Logger;
  private folderChecked = false;

  constructor(path: string, options: FilePersistenceOptions = {}) {
    this.path = resolveFilePath(path, 'cachePath');
    this.name = options.name ?? `file:${this.path}`;
    this.mode = options.mode ?? 0o600;
    this.codec = options.codec;
    this.isEncrypted = options.codec?.isEncrypted ?? false;
    this.fs = options.fs ?? nodeFileSystem;
    this.logger = options.logger ?? consoleLogger;
  }

  async load(): Promise<Uint8Array | null> {
    let stored: Buffer;
    let handle: fsp.FileHandle;
    try {
      // Non-blocking: a FIFO at the path would otherwise block the open until a writer comes,
      // holding a thread-pool thread that not even process.exit() gets back.
      handle = await fsp.open(this.path, READ_OWN_FILE);
    } catch (error) {
      if (errnoOf(error).code === 'ENOENT') return null;
      if (errnoOf(error).code === 'EISDIR') throw this.notACacheFile('a folder', error);
      // O_NOFOLLOW refused a symbolic link at the path.
      if (errnoOf(error).code === 'ELOOP') throw this.notACacheFile('a symbolic link', error);
      throw toFileError(error, this.name, `read the token cache ${this.path}`);
    }
    try {
      // fstat of what we opened: the checks are about these very bytes, whatever the path says now.
      // Synchronous while the file is open (µs for a cache file): on Windows an open handle refuses
      // a writer's atomic replace, so readers hold it as briefly as they can.
      const stats = fstatSync(handle.fd);
      if (!stats.isFile()) throw this.notACacheFile(fileKind(stats));
      this.checkOwnFile(stats);
      await this.checkFolderOnce();
      stored = readFileSync(handle.fd);
    } catch (error) {
      throw toFileError(error, this.name, `read the token cache ${this.path}`);
    } finally {
      await handle.close().catch(() => undefined);
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

  async save(data: Uint8Array, options: SaveOptions = {}): Promise<string> {
    const stored = data.byteLength > 0 && this.codec ? await this.codec.encode(data) : data;
    const { lock } = options;
    return writeFileAtomic(this.path, stored, {
      mode: this.mode,
      backend: this.name,
      fs: this.fs,
      ...(lock?.verify ? { beforeReplace: () => lock.verify?.() } : {}),
    });
  }

  /**
   * Removes the cache file, after rewriting its `<path>.cleared` marker (also when there is no file
   * to remove), so that the stamp of the absent file moves for every process: one holding tokens in
   * memory only (after a failed save) drops them at its next access, as after any other change.
   */
  async delete(): Promise<void> {
    // The marker first: while the file is there the stamp ignores it, so no reader can see the
    // file gone and the marker not yet moved.
    const unsignalled = await this.markCleared().then(
      () => undefined,
      (error: unknown) => error,
    );
    let removed = true;
    try {
      await fsp.unlink(this.path);
    } catch (error) {
      if (errnoOf(error).code !== 'ENOENT') throw toFileError(error, this.name, `delete the token cache ${this.path}`);
      removed = false;
    }
    if (unsignalled !== undefined) throw this.unsignalled(unsignalled, removed);
  }

  stamp(): string {
    try {
      return cacheFileStamp(this.path, this.fs);
    } catch (error) {
      throw toFileError(error, this.name, `check the token cache ${this.path} for changes`);
    }
  }

  /**
   * Moves an unreadable cache file to `<path>.corrupt-<time>` so the next save does not destroy it.
   * Only a regular file is moved: a folder, FIFO or link at the path was not written by us, so it
   * stays where it is (a save then replaces a FIFO or link, and fails with a typed error on a folder).
   */
  async keepAside(): Promise<string | undefined> {
    const stats = await fsp.lstat(this.path).catch(() => undefined);
    if (!stats?.isFile()) return undefined;
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
        if (errnoOf(error).code === 'ENOENT') return undefined;
        throw toFileError(error, this.name, `move the unreadable token cache ${this.path} aside`);
      }
    }
  }

  /**
   * Rewrites `<path>.cleared` (a new inode and a later time: a new stamp). Not where the folder is
   * missing: nothing was ever stored or locked there, and a delete creates no folders.
   */
  private async markCleared(): Promise<void> {
    if (this.fs.stat(dirname(this.path)) === undefined) return;
    const note = `${process.pid} ${new Date().toISOString()}: ${basename(this.path)} was deleted; its time tells other processes.\n`;
    await writeFileAtomic(clearedMarkerPath(this.path), new TextEncoder().encode(note), {
      mode: this.mode,
      backend: this.name,
      fs: this.fs,
    });
  }

  private unsignalled(error: unknown, removed: boolean): PersistenceError {
    const code = isPersistenceError(error) ? error.code : 'Io';
    // The file error already says what to do; drop its "[backend] " prefix.
    const reason = error instanceof Error ? error.message.replace(/^\[[^\]]*\] /, '') : String(error);
    return new PersistenceError(
      code,
      `${this.path} was ${removed ? 'deleted' : 'already absent'}, but ${clearedMarkerPath(this.path)}, which tells ` +
        'other processes, could not be written: a process holding tokens in memory only (after a failed save) may ' +
        `keep them until the cache changes again. ${reason}`,
      { backend: this.name, cause: error },
    );
  }

  /**
   * A cache file another uid owns, or one others may write, may hold whatever they put there (a
   * forged account): refused, not loaded. Not on Windows, where modes and uids do not apply.
   */
  private checkOwnFile(stats: Stats): void {
    const uid = process.getuid?.();
    if (uid === undefined || process.platform === 'win32') return;
    if (stats.uid !== uid) {
      throw new PersistenceError(
        'AccessDenied',
        `${this.path} is owned by uid ${stats.uid}, not by this user (uid ${uid}): someone else created it (in a shared ` +
          'folder they can), so its content is not trusted. Remove it, or choose a cache path in a folder only you can ' +
          'write (e.g. under ~/.cache).',
        { backend: this.name },
      );
    }
    const writable = stats.mode & 0o022;
    if (writable) {
      const who = writable & 0o020 ? 'group' : 'others';
      throw new PersistenceError(
        'AccessDenied',
        `${this.path} is writable by ${who} (mode ${(stats.mode & 0o7777).toString(8)}), so its content is not trusted. ` +
          `If it is yours as it is, \`chmod go-w ${this.path}\`; else remove it.`,
        { backend: this.name },
      );
    }
  }

  /**
   * Warns once when the folder is writable by group or others and not protected by the sticky bit
   * of an owner we trust (us or root, as /tmp): anyone there may replace or remove the cache.
   */
  private async checkFolderOnce(): Promise<void> {
    const uid = process.getuid?.();
    if (this.folderChecked || uid === undefined || process.platform === 'win32') return;
    this.folderChecked = true;
    const folder = dirname(this.path);
    const stats = await fsp.stat(folder).catch(() => undefined);
    if (!stats || (stats.mode & 0o022) === 0) return;
    const sticky = (stats.mode & 0o1000) !== 0 && (stats.uid === uid || stats.uid === 0);
    if (sticky) return;
    const who = stats.mode & 0o002 ? 'others' : 'its group';
    this.logger.warn?.(
      `The token cache folder ${folder} is writable by ${who} (mode ${(stats.mode & 0o7777).toString(8)}), without ` +
        `the sticky bit: they can replace or remove ${this.path}. \`chmod go-w ${folder}\`, or choose a folder only you can write.`,
    );
  }

  private notACacheFile(kind: string, cause?: unknown): PersistenceError {
    return new PersistenceError(
      'Corrupt',
      `${this.path} is ${kind}, not a cache file. Remove it or choose another cache path; until then the cache starts empty and cannot be saved there.`,
      { backend: this.name, ...(cause === undefined ? {} : { cause }) },
    );
  }
}
