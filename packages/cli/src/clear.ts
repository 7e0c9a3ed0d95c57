import { createInterface } from 'node:readline/promises';
import type { BackendName, CacheLocation } from '@msal-persist/msal-plugin';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { inspect } from './inspect.js';
import type { OpenCache } from './target.js';

/**
 * What `clear` prints, as `--json` and as text.
 *
 * @example
 * ```ts
 * if (report.hadCache) console.log(`signed out: ${report.accountsRemoved.join(', ')}`);
 * ```
 */
export interface ClearReport {
  command: 'clear';
  appName: string | null;
  backend: BackendName;
  encrypted: boolean;
  location: CacheLocation;
  /** True once the cache is gone (also when nothing was stored). */
  cleared: true;
  /** Whether something was stored before. */
  hadCache: boolean;
  /** Home account ids that were in the cache. */
  accountsRemoved: string[];
}

/** Asks on the terminal; true for y or yes. */
async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(question);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    prompt.close();
  }
}

/**
 * Removes the cache with the library's `clear()`: under the lock, the stamp and change signal
 * moved so running processes of the app find it empty at their next access. Asks first on a
 * terminal unless `yes`; off a terminal, `yes` is required.
 *
 * @example
 * ```ts
 * const report = await clear(await openCache(target), { yes: true });
 * ```
 */
export async function clear(cache: OpenCache, options: { yes: boolean }): Promise<ClearReport> {
  const before = await inspect(cache, { verbose: false });
  if (before.stored && !options.yes) {
    if (!process.stdin.isTTY) {
      throw new CliError(
        'Refusing to clear without confirmation: standard input is not a terminal.',
        'Pass --yes to clear without asking.',
        ExitCode.Usage,
      );
    }
    const users = before.accounts.map((account) => account.username ?? account.homeAccountId);
    const what = users.length > 0 ? `${users.length} account(s): ${users.join(', ')}` : 'no account';
    const where = cache.location.item ? `item ${cache.location.item}` : cache.location.file;
    const whose = cache.appName === null ? '' : ` of ${cache.appName}`;
    const question = `Remove the token cache${whose} (${cache.backend}, ${where}) with ${what}? Every process of the app is signed out. [y/N] `;
    if (!(await confirm(question))) {
      throw new CliError('Not cleared: not confirmed.', 'Answer y, or pass --yes.', ExitCode.Cancelled);
    }
  }
  // Take the stored accounts as the baseline, so the clear's event lists them all as removed.
  await cache.plugin.checkForChanges();
  const accountsRemoved: string[] = [];
  cache.plugin.on('cachechanged', (event) => accountsRemoved.push(...event.accountsRemoved));
  await cache.plugin.clear();
  return {
    command: 'clear',
    appName: cache.appName,
    backend: cache.backend,
    encrypted: cache.encrypted,
    location: cache.location,
    cleared: true,
    hadCache: before.stored,
    accountsRemoved,
  };
}
