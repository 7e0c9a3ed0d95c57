import { promises as fsp } from 'node:fs';

/**
 * The file-system calls {@link writeFileAtomic} makes, as a seam: tests inject failures (a full
 * disk, a read-only file system) that cannot be produced for real without root.
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
}

/**
 * The real `node:fs/promises` implementation of {@link AtomicFileSystem}.
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
};
