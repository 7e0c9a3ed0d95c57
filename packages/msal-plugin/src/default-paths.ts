import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user directory msal-persist uses for an app when no `cachePath` is given:
 * `%LOCALAPPDATA%\<app>` on Windows, `~/Library/Caches/<app>` on macOS and
 * `$XDG_CACHE_HOME/<app>` (default `~/.cache/<app>`) elsewhere.
 *
 * @example
 * ```ts
 * defaultCacheDirectory('my-cli'); // '/home/me/.cache/my-cli' on Linux
 * ```
 */
export function defaultCacheDirectory(
  appName: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (typeof appName !== 'string' || !appName || /[\\/\0]/.test(appName) || appName === '.' || appName === '..') {
    throw new TypeError(`appName must be a plain directory name, got ${JSON.stringify(appName)}`);
  }
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), appName);
  if (platform === 'darwin') return join(home, 'Library', 'Caches', appName);
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), appName);
}
