import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * What a lock file says about its holder. Every MSAL extension starts the file with the owner's
 * pid: Python and Go write `"<pid> <argv0>"`, .NET `"<pid> <processName>"`, this package the
 * former.
 *
 * @example
 * ```ts
 * const owner = await readLockOwner('/home/me/.cache/app/msal.json.lockfile');
 * if (owner?.pid !== undefined && !isProcessAlive(owner.pid)) console.log('left by a crashed process');
 * ```
 */
export interface LockOwner {
  /** The first integer in the file; `undefined` while the file is still empty (just created) or foreign. */
  pid: number | undefined;
  /** What follows the pid (program name or path), for messages. */
  program: string;
  /** Inode of the lock file, to tell one lock from the next at the same path. */
  ino: bigint;
  /** Last modification (creation or refresh), in ms since the epoch. */
  mtimeMs: number;
}

/**
 * Parses the content of a lock file written by any MSAL extension.
 *
 * @example
 * ```ts
 * parseLockContent('4242 /usr/bin/python3'); // { pid: 4242, program: '/usr/bin/python3' }
 * ```
 */
export function parseLockContent(content: string): { pid: number | undefined; program: string } {
  const match = /^\s*(\d+)\s*(.*)$/s.exec(content);
  if (!match?.[1]) return { pid: undefined, program: content.trim() };
  const pid = Number.parseInt(match[1], 10);
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined, program: (match[2] ?? '').trim() };
}

/**
 * Reads the owner of the lock at `path`, or `undefined` when there is no lock file.
 *
 * @example
 * ```ts
 * const owner = await readLockOwner(lockPath);
 * ```
 */
export async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  // Synchronous inside: a lock file is a few bytes, and waiters read it at every handoff.
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    // One descriptor for both: the content and the inode belong to the same file even if it is replaced meanwhile.
    const stats = fstatSync(fd, { bigint: true });
    const content = readFileSync(fd, { encoding: 'utf8' });
    return { ...parseLockContent(content.slice(0, 4096)), ino: stats.ino, mtimeMs: Number(stats.mtimeMs) };
  } finally {
    closeSync(fd);
  }
}

/**
 * True when a process with this pid exists on this host. `EPERM` means it exists but belongs to
 * another user, so it counts as alive.
 *
 * @example
 * ```ts
 * isProcessAlive(process.pid); // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code !== 'ESRCH';
  }
}
