import { setTimeout as sleep } from 'node:timers/promises';
import { errnoOf } from './file-errors.js';
import type { AtomicFileSystem } from './file-system.js';

/**
 * What Windows answers to a rename onto a file that another handle has open (a reader of the cache,
 * an antivirus or indexer), or that is being deleted while still open: the rename succeeds once
 * that handle closes.
 */
const REFUSED_WHILE_OPEN = new Set(['EPERM', 'EACCES', 'EBUSY']);

/**
 * How long {@link replaceFile} retries by default: 5 s on Windows, where readers hold the file for a
 * few ms at a time (2 s lost 1 save in 200 to two readers loading in a loop on a loaded machine); 0
 * elsewhere, where these codes are real permission errors and a rename never waits for readers.
 */
export const DEFAULT_REPLACE_RETRY_MS = process.platform === 'win32' ? 5_000 : 0;

/**
 * Renames `from` over `to`. A rename refused with `EPERM`/`EACCES`/`EBUSY` is retried with short,
 * growing, jittered waits (1 ms doubling to 50 ms) until `retryMs` have passed; then the last error
 * is thrown. `beforeEach` runs right before every attempt (the lock check: a retry must not replace
 * bytes with a lock lost meanwhile); its error is thrown as it is.
 *
 * @example
 * ```ts
 * await replaceFile(nodeFileSystem, tempPath, cachePath, DEFAULT_REPLACE_RETRY_MS);
 * ```
 */
export async function replaceFile(
  fs: AtomicFileSystem,
  from: string,
  to: string,
  retryMs: number,
  beforeEach?: () => void | Promise<void>,
): Promise<void> {
  const deadline = performance.now() + retryMs;
  for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 50)) {
    // Synchronous checks stay synchronous: nothing of ours runs between them and the rename.
    const checked = beforeEach?.();
    if (checked) await checked;
    try {
      await fs.rename(from, to);
      return;
    } catch (error) {
      const { code } = errnoOf(error);
      if (code === undefined || !REFUSED_WHILE_OPEN.has(code) || performance.now() + waitMs > deadline) throw error;
    }
    await sleep(waitMs * (0.5 + Math.random() * 0.5));
  }
}
