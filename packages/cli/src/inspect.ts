import { statSync } from 'node:fs';
import { type BackendName, type CacheLocation, isPersistenceError, type Lock } from '@msal-persist/msal-plugin';
import type { FileLockState } from '@msal-persist/msal-plugin/file';
import { type AccountSummary, type AppTokenSummary, summarizeCache } from './cache-summary.js';
import type { OpenCache } from './target.js';

/**
 * The cache lock as `inspect` found it: free, held (by a pid of this host, or elsewhere), or
 * stale (its holder is gone; the next writer breaks it).
 *
 * @example
 * ```ts
 * const lock: LockReport = { state: 'held', pid: 4242, thisHost: true, program: '/usr/bin/my-cli' };
 * ```
 */
export interface LockReport {
  state: FileLockState['state'] | 'unknown';
  pid?: number;
  program?: string;
  /** True: held by a process of this host and pid namespace; false: another host or container; absent: not said (a foreign lock format). */
  thisHost?: boolean;
  /** Milliseconds since the holder last refreshed it. */
  ageMs?: number;
  /** The lock in words. */
  description?: string;
}

/**
 * What `inspect` prints, as `--json` and as text. Never a token.
 *
 * @example
 * ```ts
 * for (const account of report.accounts) console.log(account.username, account.accessTokens.count);
 * ```
 */
export interface InspectReport {
  command: 'inspect';
  /** The app, or `null` for a file named with `--cache-path`. */
  appName: string | null;
  backend: BackendName;
  encrypted: boolean;
  location: CacheLocation;
  /** True when something is stored (also when it cannot be read). */
  stored: boolean;
  /** Bytes of the stored cache (decrypted), or of the file when it cannot be read; `null` when nothing is stored. */
  size: number | null;
  /** When the cache last changed (the cache file's, or the change signal's, time), ISO 8601. */
  lastChange: string | null;
  lock: LockReport;
  /** False when the stored bytes are not a usable msal cache: an app starts empty and keeps them aside. */
  readable: boolean;
  problem?: string;
  accounts: AccountSummary[];
  /** Tokens apps got for themselves (client credentials), by client id. */
  appTokens: AppTokenSummary[];
}

async function lockReport(lock: Lock): Promise<LockReport> {
  const inspectable = lock as Lock & { inspect?: () => Promise<FileLockState> };
  if (typeof inspectable.inspect !== 'function') return { state: 'unknown' };
  const found = await inspectable.inspect();
  return {
    state: found.state,
    ...(found.pid === undefined ? {} : { pid: found.pid }),
    ...(found.program === undefined ? {} : { program: found.program }),
    ...(found.sameNamespace === undefined ? {} : { thisHost: found.sameNamespace }),
    ...(found.ageMs === undefined ? {} : { ageMs: found.ageMs }),
    ...(found.description === undefined ? {} : { description: found.description }),
  };
}

function fileStats(path: string): { size: number; mtime: string } | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats?.isFile() ? { size: stats.size, mtime: stats.mtime.toISOString() } : undefined;
}

/**
 * Reads the cache without locking (as every reader does) and describes it.
 *
 * @example
 * ```ts
 * const report = await inspect(await openCache(target), { verbose: false });
 * ```
 */
export async function inspect(cache: OpenCache, options: { verbose: boolean }): Promise<InspectReport> {
  const file = fileStats(cache.location.file);
  let data: Uint8Array | null = null;
  let problem: string | undefined;
  try {
    data = await cache.persistence.load();
  } catch (error) {
    // Only Corrupt is about the content; the store itself failing is the command's failure.
    if (!isPersistenceError(error, 'Corrupt')) throw error;
    problem = error.message.replace(`[${error.backend}] `, '');
  }
  let text: string | null = null;
  if (data !== null && data.byteLength > 0) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      problem = 'the stored bytes are not UTF-8';
    }
  }
  const summary = summarizeCache(text, { now: Date.now(), verbose: options.verbose });
  problem ??= summary.problem;
  const stored = (data !== null && data.byteLength > 0) || problem !== undefined;
  const isFileStore = cache.backend !== 'libsecret' && cache.backend !== 'keychain';
  return {
    command: 'inspect',
    appName: cache.appName,
    backend: cache.backend,
    encrypted: cache.encrypted,
    location: cache.location,
    stored,
    size: data !== null && data.byteLength > 0 ? data.byteLength : stored && isFileStore ? (file?.size ?? null) : null,
    lastChange: file?.mtime ?? null,
    lock: await lockReport(cache.lock),
    readable: problem === undefined,
    ...(problem === undefined ? {} : { problem }),
    accounts: summary.accounts,
    appTokens: summary.appTokens,
  };
}
