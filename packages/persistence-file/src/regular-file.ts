import { constants } from 'node:fs';

/**
 * Flags to open a path we do not control for reading: `O_NONBLOCK` where it exists, so a FIFO
 * there returns at once instead of blocking until a writer comes. Check the type with `fstat` next.
 */
export const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * {@link READ_NONBLOCK} plus `O_NOFOLLOW` where it exists (POSIX): a symbolic link at the last
 * component fails the open (`ELOOP`) instead of reading whatever it points to. For the cache file,
 * which only we create and atomic saves always replace with a regular file.
 */
export const READ_OWN_FILE = READ_NONBLOCK | (constants.O_NOFOLLOW ?? 0);

/** Thrown when a path we read holds something other than a regular file (a FIFO, a folder, a device). */
export class NotARegularFileError extends Error {
  override readonly name = 'NotARegularFileError';
  readonly code = 'ENOTREGULAR';
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/** What a non-regular file is, for messages. */
export function fileKind(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'a device or special file';
}
