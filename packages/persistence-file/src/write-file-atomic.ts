import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
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
async function nextMtimeSeconds(path: string): Promise<number> {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const previous = await fsp.stat(path, { bigint: true }).catch(() => undefined);
  const floorNs = previous ? previous.mtimeNs + 1_000n : 0n;
  const chosenNs = nowNs > floorNs ? nowNs : floorNs;
  // Whole microseconds survive the seconds-as-double conversion futimes does (its error is ~0.2 µs).
  return Number(chosenNs / 1_000n) / 1e6;
}

async function syncDirectory(fs: AtomicFileSystem, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  // Best effort: makes the rename durable; some file systems refuse fsync on a directory.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data itself was fsynced; only the rename's durability across a power loss is weaker.
  }
}

/**
 * Replaces `path` atomically: creates the parent folders (`0o700`), writes a uniquely named temp
 * file in the same folder, fsyncs it, renames it over `path` and fsyncs the folder. Readers see the
 * old or the new bytes, never a mix. On failure the temp file is removed, the old content stays,
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
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    handle = await fs.open(temp, 'wx', options.mode ?? 0o600);
    await handle.writeFile(data);
    const mtime = await nextMtimeSeconds(path);
    await handle.utimes(mtime, mtime);
    await handle.sync();
    // rename keeps inode, size and mtime, so the temp file's stamp is the target's after the rename.
    const stamp = stampOf(await handle.stat({ bigint: true }));
    await handle.close();
    handle = undefined;
    await fs.rename(temp, path);
    renamed = true;
    await syncDirectory(fs, dir);
    return stamp;
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
    throw toFileError(error, backend, `save ${path}`);
  }
}
