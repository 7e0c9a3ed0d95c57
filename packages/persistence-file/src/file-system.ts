import { type BigIntStats, promises as fsp, fstatSync, futimesSync, statSync } from 'node:fs';

/**
 * The file-system calls {@link writeFileAtomic} and `FilePersistence` make, as a seam: tests
 * inject failures (a full disk, a read-only file system) and file systems with coarse clocks or
 * reused inodes that cannot be produced for real on demand.
 *
 * @example
 * ```ts
 * const failing: AtomicFileSystem = { ...nodeFileSystem, rename: async () => { throw Object.assign(new Error('full'), { code: 'ENOSPC' }); } };
 * ```
 */
export interface AtomicFileSystem {
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<unknown>;
  open(path: string, flags: string, mode?: number): Promise<fsp.FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Synchronous bigint `stat`; `undefined` when the path does not exist. */
  stat(path: string): BigIntStats | undefined;
  /** Synchronous bigint `fstat` of an open descriptor. */
  fstat(fd: number): BigIntStats;
  /** Synchronous `futimes`, times in seconds since the epoch. */
  futimes(fd: number, atime: number, mtime: number): void;
}

/**
 * The real `node:fs` implementation of {@link AtomicFileSystem}.
 *
 * @example
 * ```ts
 * await writeFileAtomic(path, bytes, { fs: nodeFileSystem });
 * ```
 */
export const nodeFileSystem: AtomicFileSystem = {
  mkdir: (path, options) => fsp.mkdir(path, options),
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  stat: (path) => statSync(path, { bigint: true, throwIfNoEntry: false }),
  fstat: (fd) => fstatSync(fd, { bigint: true }),
  futimes: (fd, atime, mtime) => futimesSync(fd, atime, mtime),
};
