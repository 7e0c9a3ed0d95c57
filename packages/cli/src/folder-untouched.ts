import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CacheLocationOptions, cacheLocation } from '@msal-persist/msal-plugin';

/**
 * Runs `work` with a placement to probe and open stores through, such that the app's cache folder
 * is never created: the app's own placement when its folder exists, else the same app with its
 * cache path in a throwaway folder, removed afterwards. Diagnostics (`doctor`, `inspect`) must
 * change nothing, but the library's probe writes beside the cache, which creates a missing folder.
 * A store that is not a file (the Secret Service, the Keychain) is named by service and account,
 * not by the path, so it is probed and read where it really is.
 *
 * @example
 * ```ts
 * await withFolderUntouched(target.placement, (placement) => createPersistence({ ...placement, backend }));
 * ```
 */
export async function withFolderUntouched<T>(
  placement: CacheLocationOptions & { appName: string },
  work: (placement: CacheLocationOptions & { appName: string }) => Promise<T>,
): Promise<T> {
  const folder = dirname(cacheLocation('file', placement).lock);
  if (existsSync(folder)) return work(placement);
  const scratch = await mkdtemp(join(tmpdir(), 'msal-persist-cli-'));
  try {
    return await work({ ...placement, cachePath: join(scratch, 'msal.cache') });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
