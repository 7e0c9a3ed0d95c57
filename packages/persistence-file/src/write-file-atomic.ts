import { randomBytes } from 'node:crypto';
import type { BigIntStats, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoOf, toFileError } from './file-errors.js';
import { stampOf } from './file-stamp.js';
import { type AtomicFileSystem, nodeFileSystem } from './file-system.js';
import { DEFAULT_REPLACE_RETRY_MS, replaceFile } from './replace-file.js';

/**
 * Options for {@link writeFileAtomic}.
 *
 * @example
 * ```ts
 * const options: WriteFileAtomicOptions = { mode: 0o600, backend: 'file:/tmp/cache.json' };
 * ```
 */
export interface WriteFileAtomicOptions {
  /** Mode of the new file on POSIX. Default `0o600`; created folders get `0o700`. */
  mode?: number;
  /** Backend name used in errors. Default `file:${path}`. */
  backend?: string;
  /** File-system seam, for tests that inject failures. Default: `node:fs/promises`. */
  fs?: AtomicFileSystem;
  /**
   * Runs as the last step before the rename that replaces `path` (after the temp file is written
   * and synced; again before each retry of a refused rename): when it throws, nothing is replaced, the temp file is removed, and its error is
   * rethrown as it is. Pass the lock's `verify` here (`LockLost`).
   */
  beforeReplace?: () => void | Promise<void>;
  /**
   * How long a replace refused with `EPERM`/`EACCES`/`EBUSY` is retried, in ms: on Windows a file
   * another process has open (a reader, an antivirus, an indexer) cannot be replaced until it is
   * closed. Default 2 000 on Windows, 0 elsewhere.
   */
  replaceRetryMs?: number;
}

/**
 * Gives the new file (open as `fd`) a time strictly later than the file it replaces, and returns
 * its stats. File systems reuse freed inode numbers (ext4 alternates two) and same-size saves are
 * common, so the time alone must tell two saves apart: otherwise a reader keeps its old stamp and a
 * writer skips the reload under the lock, overwriting what another writer saved. The time set
 * is checked with `fstat`, because `futimes` takes seconds as a double (sub-µs rounding) and file
 * systems keep coarser times (FAT: 2 s); while it is not later, it is bumped further (1 µs, then 10×
 * more each time, up to ~11 s ahead on a file system with 2-second times).
 */
function setLaterTime(fs: AtomicFileSystem, fd: number, path: string): BigIntStats {
  // Stat-sized sync calls: ~2 µs each here against ~40 µs through the thread pool, inside the lock.
  let previousNs: bigint | undefined;
  try {
    previousNs = fs.stat(path)?.mtimeNs;
  } catch {
    previousNs = undefined;
  }
  // Other writers (the Python extension) compare the file's time with their own clock read right
  // after their save: a time cut to the millisecond could fall before it. performance.now() has µs
  // precision; Date.now() guards against a wall clock that moved since the process started.
  const preciseNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  const wallNs = BigInt(Date.now()) * 1_000_000n;
  const nowNs = preciseNs > wallNs ? preciseNs : wallNs;
  let targetNs = previousNs === undefined || nowNs > previousNs ? nowNs : previousNs + 1_000n;
  for (let stepNs = 1_000n; ; stepNs *= 10n) {
    const seconds = Number(targetNs) / 1e9;
    fs.futimes(fd, seconds, seconds);
    const stats = fs.fstat(fd);
    // Past 10 s the file system does not keep times we can use: the stamp still has inode and size.
    if (previousNs === undefined || stats.mtimeNs > previousNs || stepNs > 10_000_000_000n) return stats;
    targetNs = previousNs + stepNs;
  }
}

/** Opens the temp file, creating the folders only when they are missing (not on every save). */
async function openTemp(fs: AtomicFileSystem, temp: string, dir: string, mode: number): Promise<fsp.FileHandle> {
  try {
    return await fs.open(temp, 'wx', mode);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return fs.open(temp, 'wx', mode);
  }
}

/**
 * Replaces `path` atomically: writes a uniquely named temp file in the same folder (creating the
 * folders, `0o700`, when missing), fsyncs it and renames it over `path`. Readers see the old or the
 * new bytes, never a mix, and a crash leaves one or the other. The folder is not fsynced: after a
 * power loss the rename may be undone, which leaves the previous, valid cache. On failure the temp file is removed, the old content stays,
 * and a {@link PersistenceError} with a mapped code is thrown. Resolves with the new file's stamp.
 *
 * @example
 * ```ts
 * const stamp = await writeFileAtomic('/home/me/.cache/app/msal.json', new TextEncoder().encode('{}'));
 * stamp === fileStamp('/home/me/.cache/app/msal.json'); // true
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<string> {
  const fs = options.fs ?? nodeFileSystem;
  const backend = options.backend ?? `file:${path}`;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fsp.FileHandle | undefined;
  let renamed = false;
  try {
    handle = await openTemp(fs, temp, dir, options.mode ?? 0o600);
    await handle.writeFile(data);
    // Metadata calls on the open descriptor are synchronous: µs each, against a thread-pool round
    // trip each, and this runs while every other writer waits for the lock.
    const stats = setLaterTime(fs, handle.fd, path);
    await handle.sync();
    // rename keeps inode, size and mtime, so the temp file's stamp is the target's after the rename.
    const stamp = stampOf(stats);
    await handle.close();
    handle = undefined;
    // Windows refuses the rename while a reader has the file open: retried briefly, the check again each time.
    await replaceFile(fs, temp, path, options.replaceRetryMs ?? DEFAULT_REPLACE_RETRY_MS, options.beforeReplace);
    renamed = true;
    return stamp;
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
    // A failure on our temp file is the folder's (permissions, space); a rename names its target.
    const { path: failedPath } = errnoOf(error);
    const dest = (error as { dest?: unknown } | null)?.dest;
    const where = failedPath !== temp ? undefined : typeof dest === 'string' ? dest : `the folder ${dir}`;
    throw toFileError(error, backend, `save ${path}`, where);
  }
}
