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
