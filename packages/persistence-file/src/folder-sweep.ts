import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_REFRESH_TOKEN_IDLE_MS, isPersistenceError, type LockHandle } from '@msal-persist/core';
import { errnoOf, toFileError } from './file-errors.js';
import { FileLock, type FileLockOptions } from './file-lock.js';
import { MAX_PARTITION_HEADER_BYTES, readPartitionHeader } from './partition-codec.js';

/**
 * What one {@link FolderPartitionedStore.sweep} did.
 *
 * @example
 * ```ts
 * const result: FolderSweepResult = await store.sweep();
 * console.log(`${result.deleted} of ${result.scanned} partitions dropped`);
 * ```
 */
export interface FolderSweepResult {
  /** Partition files looked at. */
  scanned: number;
  /** Partitions deleted: past their retention, or holding nothing worth keeping. */
  deleted: number;
  /** Partitions still within their retention (or saved again while the sweep looked). */
  kept: number;
  /**
   * Expired partitions left alone because a writer held their lock, or took it over while the sweep
   * was frozen inside it (its hold was lost: `LockLost`, not an error); the next sweep tries again.
   */
  busy: number;
  /** Leftovers removed: locks of crashed processes, old temp files, old kept-aside copies and `.cleared` markers. */
  cleaned: number;
  /** Files that could not be read or removed (permissions, I/O); see `errors`. */
  failed: number;
  /** The errors behind `failed` (file names are hashes, never keys). */
  errors: Error[];
}

interface SweepFolderOptions {
  dir: string;
  now: number;
  lock: FileLockOptions;
  refreshTokenIdleMs: number | undefined;
  /**
   * Runs under a partition's lock between the re-read and the delete: where a sweep frozen there
   * (SIGSTOP, a debugger, a long GC) would be. Tests pause it to lose the hold; never set otherwise.
   */
  beforeDelete?: (path: string) => void | Promise<void>;
}

const PARTITION = /^[0-9a-f]{64}\.cache$/;
const LOCK = /^[0-9a-f]{64}\.cache\.lockfile$/;
const TEMP = /^\.[0-9a-f]{64}\.cache(?:\.cleared)?\.\d+\.[0-9a-f]+\.tmp$/;
const ASIDE = /^[0-9a-f]{64}\.cache\.corrupt-/;
/** What a partition's delete leaves so its absence stamps anew (see `clearedMarkerPath`). */
const CLEARED = /^[0-9a-f]{64}\.cache\.cleared$/;
/** A save takes milliseconds; a temp file this old belongs to a writer that died. */
const TEMP_AGE_MS = 60 * 60 * 1000;

type Stored = { state: 'gone' } | { state: 'other' } | { state: 'file'; retention: number | undefined };

async function storedRetention(path: string): Promise<Stored> {
  let handle: fsp.FileHandle;
  try {
    // Non-blocking: a FIFO planted in the folder must not hang the sweep.
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoOf(error).code === 'ENOENT') return { state: 'gone' };
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) return { state: 'other' };
    const start = new Uint8Array(MAX_PARTITION_HEADER_BYTES);
    const { bytesRead } = await handle.read(start, 0, start.byteLength, 0);
    // No header (an empty cache, a file we did not write): nothing in it is worth keeping.
    return { state: 'file', retention: readPartitionHeader(start.subarray(0, bytesRead))?.retention };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const expired = (stored: Stored, now: number) =>
  stored.state === 'file' && (stored.retention === undefined || stored.retention <= now);

async function removeIfOlder(path: string, cutoff: number): Promise<boolean> {
  const stats = await fsp.lstat(path).catch(() => undefined);
  if (!stats?.isFile() || stats.mtimeMs > cutoff) return false;
  await fsp.unlink(path).catch((error: unknown) => {
    if (errnoOf(error).code !== 'ENOENT') throw error;
  });
  return true;
}

/**
 * Whether the hold is still the sweep's, checked right before the delete as a save checks it right
 * before the replace. FileLock answers synchronously, so no I/O runs between it and the unlink.
 */
async function holdsStill(handle: LockHandle): Promise<boolean> {
  try {
    await handle.verify?.();
    return true;
  } catch (error) {
    if (isPersistenceError(error, 'LockLost')) return false;
    throw error;
  }
}

/** The sweep of a {@link FolderPartitionedStore}'s folder; see its `sweep()`. */
export async function sweepFolder(options: SweepFolderOptions): Promise<FolderSweepResult> {
  const { dir, now, lock: lockOptions } = options;
  const result: FolderSweepResult = { scanned: 0, deleted: 0, kept: 0, busy: 0, cleaned: 0, failed: 0, errors: [] };
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if (errnoOf(error).code === 'ENOENT') return result;
    throw toFileError(error, `folder:${dir}`, `list the partition folder ${dir}`);
  }
  const asideCutoff = now - (options.refreshTokenIdleMs ?? DEFAULT_REFRESH_TOKEN_IDLE_MS);
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (PARTITION.test(name)) {
        result.scanned++;
        if (!expired(await storedRetention(path), now)) {
          result.kept++;
          continue;
        }
        let handle: LockHandle;
        try {
          // Only a partition nobody is writing: a holder may be saving fresh tokens right now.
          handle = await new FileLock(`${path}.lockfile`, lockOptions).acquire({ timeoutMs: 0 });
        } catch (error) {
          if (!isPersistenceError(error, 'LockTimeout')) throw error;
          result.busy++;
          continue;
        }
        try {
          // Read again under the lock: a writer may have saved between the first read and the lock.
          if (expired(await storedRetention(path), now)) {
            await options.beforeDelete?.(path);
            if (!(await holdsStill(handle))) {
              // A sweep frozen past staleMs lost the lock to a writer of another host, which may
              // have saved fresh tokens since the re-read: leave them; the next sweep judges again.
              result.busy++;
              continue;
            }
            await fsp.unlink(path).catch((error: unknown) => {
              if (errnoOf(error).code !== 'ENOENT') throw error;
            });
            result.deleted++;
          } else {
            result.kept++;
          }
        } finally {
          await handle.release();
        }
      } else if (LOCK.test(name)) {
        // A lock whose holder crashed: taking it breaks it, releasing it removes the file.
        const lock = new FileLock(path, lockOptions);
        if ((await lock.inspect()).state !== 'stale') continue;
        const handle = await lock.acquire({ timeoutMs: 1_000 }).catch(() => undefined);
        if (handle) {
          await handle.release();
          result.cleaned++;
        }
      } else if (TEMP.test(name)) {
        if (await removeIfOlder(path, now - TEMP_AGE_MS)) result.cleaned++;
      } else if (ASIDE.test(name)) {
        if (await removeIfOlder(path, asideCutoff)) result.cleaned++;
      } else if (CLEARED.test(name)) {
        // Without it the partition's absence stamps 'absent' again, as before its first delete: only
        // a process that has not looked at that partition for the whole idle window could have seen that.
        if (await removeIfOlder(path, asideCutoff)) result.cleaned++;
      }
    } catch (error) {
      result.failed++;
      result.errors.push(toFileError(error, `folder:${dir}`, `sweep ${path}`));
    }
  }
  return result;
}
