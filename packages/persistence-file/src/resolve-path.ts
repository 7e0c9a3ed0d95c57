import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

/**
 * {@link resolvePath} for a file we will replace: a folder there is the user's, so it is refused
 * now (`TypeError`) rather than failing every save later — or being moved aside.
 */
export function resolveFilePath(path: unknown, option: string): string {
  const resolved = resolvePath(path, option);
  let isFolder = false;
  try {
    isFolder = statSync(resolved, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    // Not visible to us: errors surface when the file is used.
  }
  if (isFolder) {
    throw new TypeError(
      `${option} ${resolved} is a folder; pass the path of a file inside it (e.g. ${join(resolved, 'msal.cache')}).`,
    );
  }
  return resolved;
}
