import { join } from 'node:path';

// Same answers as `Environment` in @azure/msal-node-extensions (MIT, Microsoft), because users build
// their cache path from it: the same path is what lets their existing cache be picked up.

/**
 * Platform and home-directory helpers, as `@azure/msal-node-extensions` exports them.
 *
 * @example
 * ```ts
 * const cachePath = path.join(Environment.getUserRootDirectory() ?? '.', 'cache.json');
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the peer's API is a class of static methods, kept for drop-in use.
export class Environment {
  /** `process.env[name]`, or `''`. */
  static getEnvironmentVariable(name: string): string {
    return process.env[name] || '';
  }

  /** `process.platform`. */
  static getEnvironmentPlatform(): string {
    return process.platform;
  }

  static isWindowsPlatform(): boolean {
    return process.platform === 'win32';
  }

  static isLinuxPlatform(): boolean {
    return process.platform === 'linux';
  }

  static isMacPlatform(): boolean {
    return process.platform === 'darwin';
  }

  static isLinuxRootUser(): boolean {
    return typeof process.getuid === 'function' && process.getuid() === 0;
  }

  /** `%LOCALAPPDATA%` on Windows; elsewhere `$HOME`, else a guess from the user name; `null` when unknown. */
  static getUserRootDirectory(): string | null {
    return Environment.isWindowsPlatform() ? Environment.getUserHomeDirOnWindows() : Environment.getUserHomeDirOnUnix();
  }

  /** `%LOCALAPPDATA%`. */
  static getUserHomeDirOnWindows(): string {
    return Environment.getEnvironmentVariable('LOCALAPPDATA');
  }

  /** `$HOME`, else `/Users/<user>` (macOS), `/root` or `/home/<user>` (Linux); `null` when unknown. */
  static getUserHomeDirOnUnix(): string | null {
    if (Environment.isWindowsPlatform()) {
      throw new Error('Finding the home directory the Unix way is not supported on Windows.');
    }
    const home = Environment.getEnvironmentVariable('HOME');
    if (home) return home;
    const user =
      ['LOGNAME', 'USER', 'LNAME', 'USERNAME'].map((name) => Environment.getEnvironmentVariable(name)).find(Boolean) ??
      null;
    if (Environment.isMacPlatform()) return user ? join('/Users', user) : null;
    if (!Environment.isLinuxPlatform()) {
      throw new Error(`Finding the home directory without $HOME is not supported on ${process.platform}.`);
    }
    if (Environment.isLinuxRootUser()) return '/root';
    return user ? join('/home', user) : null;
  }
}
