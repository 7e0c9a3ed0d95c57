import { randomBytes } from 'node:crypto';
import { type BigIntStats, type promises as fsp, fstatSync, futimesSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toFileError } from './file-errors.js';
import { stampOf } from './file-stamp.js';
import { type AtomicFileSystem, nodeFileSystem } from './file-system.js';

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
}

/**
 * The mtime to give the new file: now, but strictly after the file it replaces. File systems
 * reuse freed inode numbers and tick mtime coarsely (ext4: a few ms), so two quick saves of the
 * same size could otherwise produce equal stamps and a reader would miss the second one.
 */
function nextMtimeSeconds(path: string): number {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  // A stat-sized sync call: ~2 µs here against ~40 µs through the thread pool, inside the lock.
  let previous: BigIntStats | undefined;
  try {
    previous = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    previous = undefined;
  }
  const floorNs = previous ? previous.mtimeNs + 1_000n : 0n;
  const chosenNs = nowNs > floorNs ? nowNs : floorNs;
  // Whole microseconds survive the seconds-as-double conversion futimes does (its error is ~0.2 µs).
  return Number(chosenNs / 1_000n) / 1e6;
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
    const mtime = nextMtimeSeconds(path);
    futimesSync(handle.fd, mtime, mtime);
    await handle.sync();
    // rename keeps inode, size and mtime, so the temp file's stamp is the target's after the rename.
    const stamp = stampOf(fstatSync(handle.fd, { bigint: true }));
    await handle.close();
    handle = undefined;
    await fs.rename(temp, path);
    renamed = true;
    return stamp;
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
    throw toFileError(error, backend, `save ${path}`);
  }
}
