import { resolve } from 'node:path';

/**
 * Checks a path option and makes it absolute, once: a relative path would otherwise follow every
 * later `process.chdir()`, and the app would switch to another cache and lose sight of its tokens.
 */
export function resolvePath(path: unknown, option: string): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`${option} must be a non-empty file path, got ${JSON.stringify(path) ?? String(path)}.`);
  }
  if (path.includes('\0')) throw new TypeError(`${option} must not contain a NUL character.`);
  return resolve(path);
}
