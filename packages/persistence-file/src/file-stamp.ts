import { statSync } from 'node:fs';

/**
 * The change stamp of a file: `${ino}:${size}:${mtimeNs}`, or `'absent'`. Compared for equality
 * only. Synchronous on purpose: it runs on every silent token call, and `statSync` costs a few
 * microseconds where `fs.promises.stat` costs tens.
 *
 * @example
 * ```ts
 * const before = fileStamp('/home/me/.cache/app/msal.json');
 * // ... later
 * if (fileStamp('/home/me/.cache/app/msal.json') !== before) reload();
 * ```
 */
export function fileStamp(path: string): string {
  const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (stats === undefined) return 'absent';
  return stampOf(stats);
}

/** Formats a bigint stat as a stamp; shared with the writer, which stamps the fd it wrote. */
export function stampOf(stats: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}
