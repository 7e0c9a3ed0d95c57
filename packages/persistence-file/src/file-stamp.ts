import { type AtomicFileSystem, nodeFileSystem } from './file-system.js';

/**
 * The change stamp of a file: `${ino}:${size}:${mtimeNs}`, or `'absent'`. Compared for equality
 * only. Synchronous on purpose: it runs on every silent token call, and `statSync` costs a few
 * microseconds where `fs.promises.stat` costs tens. `stat` never blocks, whatever the path holds.
 */
export function fileStamp(path: string, fs: AtomicFileSystem = nodeFileSystem): string {
  const stats = fs.stat(path);
  if (stats === undefined) return 'absent';
  return stampOf(stats);
}

/** Formats a bigint stat as a stamp; shared with the writer, which stamps the fd it wrote. */
export function stampOf(stats: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/**
 * Where `FilePersistence.delete()` records that a cache file was deleted (`<cache>.cleared`): an
 * absence leaves nothing to stamp, so without it a delete — of nothing, or of a file saved since a
 * reader last looked — would give that reader back the very stamp it saw before, and it would keep
 * tokens it holds in memory only (after a failed save) although everyone was signed out. Remove it
 * with the cache when removing a cache location for good (a probe, an uninstall).
 *
 * @example
 * ```ts
 * clearedMarkerPath('/home/me/.cache/my-app/msal.json'); // '/home/me/.cache/my-app/msal.json.cleared'
 * ```
 */
export function clearedMarkerPath(cachePath: string): string {
  return `${cachePath}.cleared`;
}

/**
 * The stamp of a cache file: {@link fileStamp} while it exists; else `'absent'`, followed by the
 * stamp of its {@link clearedMarkerPath} once a delete has written one. A second `stat` only
 * while there is no cache file.
 *
 * @example
 * ```ts
 * cacheFileStamp('/home/me/.cache/app/msal.json'); // 'absent:1234:40:1767225600000000000' after a clear()
 * ```
 */
export function cacheFileStamp(path: string, fs: AtomicFileSystem = nodeFileSystem): string {
  const stats = fs.stat(path);
  if (stats !== undefined) return stampOf(stats);
  const cleared = fs.stat(clearedMarkerPath(path));
  return cleared === undefined ? 'absent' : `absent:${stampOf(cleared)}`;
}
