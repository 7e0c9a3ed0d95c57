import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';

/** Errors meaning "this file system has no hard links": fall back to create-then-write. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Creates `path` exclusively with `content` already in it: the content goes to a temp file that is
 * then hard-linked to `path` (`link` fails with `EEXIST` if `path` exists, atomically). A lock file
 * therefore never exists without its owner's pid, even when its creator is SIGKILLed mid-way, so
 * a crashed creator's lock is always recognisable by its dead pid. Rejects with the `EEXIST` error
 * when the file already exists. Returns the inode, which identifies this lock among later
 * ones at the same path.
 *
 * Synchronous inside: a few metadata calls on a file of a few bytes, on the path every lock
 * handoff waits for. Through the thread pool each would cost a round trip (~40 µs here, more
 * under load) instead of a few µs. None of them can block: they create or link new names, and
 * never open an existing file (which could be a FIFO).
 */
export function createExclusive(path: string, content: string): bigint {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, content, { flag: 'wx', mode: 0o600 });
  try {
    const ino = statSync(temp, { bigint: true }).ino;
    linkSync(temp, path);
    return ino;
  } catch (error) {
    if (!NO_LINKS.has(String((error as { code?: unknown }).code))) throw error;
    return createThenWrite(path, content);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone.
    }
  }
}

/**
 * O_EXCL create, then write. Readers may see the file empty for a moment; they treat an empty
 * lock as held and break it only after the stale interval.
 */
function createThenWrite(path: string, content: string): bigint {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, content);
    return fstatSync(fd, { bigint: true }).ino;
  } finally {
    closeSync(fd);
  }
}

/** Inode of the file at `path`, or `undefined` when absent or unreadable. */
export function inodeOf(path: string): bigint | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false })?.ino;
  } catch {
    return undefined;
  }
}

/**
 * Removes `path` if it is still the file with inode `ino`; never removes a lock someone else took
 * after breaking ours. Returns whether it removed it. Synchronous: also used by exit handlers.
 */
export function removeIfOwned(path: string, ino: bigint | undefined): boolean {
  if (ino === undefined || inodeOf(path) !== ino) return false;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
  return true;
}
