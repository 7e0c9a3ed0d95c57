import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Options for `MsalCachePlugin.watch()`.
 *
 * @example
 * ```ts
 * const options: WatchOptions = { signal: AbortSignal.timeout(60_000), persistent: false };
 * ```
 */
export interface WatchOptions {
  /** Stops watching when it aborts. */
  signal?: AbortSignal;
  /** Keep the process alive while watching, as `fs.watch` does. Default `true`. */
  persistent?: boolean;
}

/**
 * A running `watch()`; `close()` stops it (calling it again does nothing).
 *
 * @example
 * ```ts
 * const watcher = cachePlugin.watch();
 * process.on('SIGTERM', () => watcher.close());
 * ```
 */
export interface CacheWatcher {
  close(): void;
}

/**
 * Calls `check` once now and again whenever `file` is replaced or changed, never two at a time
 * (changes during a check run one more). The folder is watched, not the file: every save
 * replaces the file by a rename, and a watch on the file would stay on the replaced one.
 * `check` reports its own failures; a failing watch is closed and given to `onError`.
 */
export function watchFile(
  file: string,
  check: () => Promise<void>,
  onError: (error: unknown) => void,
  options: WatchOptions = {},
): CacheWatcher {
  const folder = dirname(file);
  const name = basename(file);
  // The probe made it already; this covers a folder removed since.
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  let closed = false;
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await check();
      } while (again && !closed);
    } finally {
      running = false;
    }
  };
  const watcher: FSWatcher = watch(folder, { persistent: options.persistent ?? true }, (_event, changed) => {
    // Some platforms do not say which file changed: check anyway, it is one stat when nothing did.
    if (!closed && (changed === null || changed === name)) void run();
  });
  const close = () => {
    if (closed) return;
    closed = true;
    watcher.close();
    options.signal?.removeEventListener('abort', close);
  };
  watcher.on('error', (error) => {
    close();
    onError(error);
  });
  if (options.signal?.aborted) close();
  else options.signal?.addEventListener('abort', close, { once: true });
  if (!closed) void run();
  return { close };
}
