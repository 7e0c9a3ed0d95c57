import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { errnoOf } from './file-errors.js';
import { fileKind, NotARegularFileError, READ_NONBLOCK } from './regular-file.js';

/**
 * What a lock file says about its holder. Every MSAL extension starts the file with the owner's
 * pid: Python and Go write `"<pid> <argv0>"`, .NET `"<pid> <processName>"`. This package writes the
 * same first line, then a second one only it reads:
 * `msal-persist-lock/1 holder=<token> ns=<namespace id> start=<ticks>` — which holder (a thread or
 * module copy of a process) owns it, which host and pid namespace the pid belongs to, and when that
 * process started (Linux only; it tells the holder from a later process that got the same pid).
 * Readers ignore fields they do not know, so fields can be added without a new marker.
 */
export interface LockOwner {
  /** The first integer in the file; `undefined` while the file is empty (being created) or foreign. */
  pid: number | undefined;
  /** What follows the pid on the first line (program name or path), for messages. */
  program: string;
  /** The holder's token (our own locks only). */
  holder: string | undefined;
  /** The identity of the pid's host and pid namespace (our own locks only). */
  namespace: string | undefined;
  /** When the holder's process started, in clock ticks after boot (our own locks, on Linux only). */
  start: string | undefined;
  /** `'empty'` for a 0-byte file, `'garbage'` when the first line holds no pid, else `'owner'`. */
  kind: 'owner' | 'empty' | 'garbage';
  /** Inode of the lock file, to tell one lock from the next at the same path. */
  ino: bigint;
  /** Last modification (creation or refresh), in ms since the epoch. */
  mtimeMs: number;
}

const MARKER = 'msal-persist-lock/1';

/**
 * The content of a lock this process writes: the line the other extensions read, then ours.
 * `start` is the writer's process start time, when known.
 */
export function formatLockContent(
  pid: number,
  program: string,
  holder: string,
  namespace: string,
  start?: string,
): string {
  const firstLine = `${pid} ${program}`.replace(/[\r\n]+/g, ' ');
  return `${firstLine}\n${MARKER} holder=${holder} ns=${namespace}${start === undefined ? '' : ` start=${start}`}\n`;
}

/** Parses the content of a lock file written by any MSAL extension. */
export function parseLockContent(content: string): Omit<LockOwner, 'ino' | 'mtimeMs'> {
  // .NET ends its line with Environment.NewLine, "\r\n" on Windows.
  const [firstLine = '', ...rest] = content.split(/\r?\n/);
  let holder: string | undefined;
  let namespace: string | undefined;
  let start: string | undefined;
  for (const line of rest) {
    if (!line.startsWith(`${MARKER} `)) continue;
    for (const field of line.slice(MARKER.length + 1).split(' ')) {
      if (field.startsWith('holder=')) holder = field.slice('holder='.length) || undefined;
      else if (field.startsWith('ns=')) namespace = field.slice('ns='.length) || undefined;
      else if (/^start=\d+$/.test(field)) start = field.slice('start='.length);
    }
  }
  // dotAll: a program name may hold a Unicode line separator, which `.` does not match otherwise.
  const match = /^\s*(\d+)\s*(.*)$/s.exec(firstLine);
  const parsed = match?.[1] === undefined ? Number.NaN : Number.parseInt(match[1], 10);
  const pid = Number.isSafeInteger(parsed) && parsed > 0 ? parsed : undefined;
  const kind = content.length === 0 ? 'empty' : pid === undefined ? 'garbage' : 'owner';
  return { pid, program: (pid === undefined ? firstLine : (match?.[2] ?? '')).trim(), holder, namespace, start, kind };
}

/**
 * Reads the owner of the lock at `path`, or `undefined` when there is no lock file. Never blocks
 * on a FIFO (opened non-blocking, then checked to be a regular file); throws
 * {@link NotARegularFileError} for anything but a regular file.
 */
export function readLockOwner(path: string): LockOwner | undefined {
  // Synchronous: a lock file is a few bytes, and waiters read it at every handoff.
  let fd: number;
  try {
    fd = openSync(path, READ_NONBLOCK);
  } catch (error) {
    if (errnoOf(error).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    // One descriptor for both: the content and the inode belong to the same file even if it is replaced meanwhile.
    const stats = fstatSync(fd, { bigint: true });
    if (!stats.isFile()) throw new NotARegularFileError(path, fileKind(stats));
    const buffer = Buffer.alloc(4096);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return {
      ...parseLockContent(buffer.subarray(0, length).toString('utf8')),
      ino: stats.ino,
      mtimeMs: Number(stats.mtimeMs),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the lock file at `path` is still the one a holder created: the same inode and the same
 * holder token (a file system may give a later lock the inode number of a removed one). `false`
 * also when it cannot be read.
 */
export function isLockStillHeld(path: string, ino: bigint, holder: string): boolean {
  try {
    const owner = readLockOwner(path);
    return owner?.ino === ino && owner.holder === holder;
  } catch {
    return false;
  }
}

/** Removes the lock at `path` if {@link isLockStillHeld} by this holder. Synchronous: also used by exit handlers. */
export function removeLockIfHeld(path: string, ino: bigint, holder: string): void {
  if (!isLockStillHeld(path, ino, holder)) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * True when a process with this pid exists in this pid namespace. `EPERM` means it exists but
 * belongs to another user, so it counts as alive.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error).code !== 'ESRCH';
  }
}
