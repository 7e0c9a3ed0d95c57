import { isPersistenceError, PersistenceError, type PersistenceErrorCode } from '@msal-persist/core';

/** The `code` and `path` of a Node system error, when present. */
export function errnoOf(error: unknown): { code: string | undefined; path: string | undefined } {
  if (typeof error !== 'object' || error === null) return { code: undefined, path: undefined };
  const { code, path } = error as { code?: unknown; path?: unknown };
  return { code: typeof code === 'string' ? code : undefined, path: typeof path === 'string' ? path : undefined };
}

/**
 * What to do about `EACCES`/`EPERM`. On Windows these also mean that another program holds the file
 * open (a rename over it or a delete is refused until it closes), and there is no chmod.
 */
function accessAdvice(platform: NodeJS.Platform): string {
  if (platform === 'win32') {
    return (
      'Another program may hold the file open (another process using this cache, an antivirus or a backup tool): close it and retry. ' +
      "Otherwise give this Windows user read and write access to the file and its folder (Properties > Security, and clear the file's read-only attribute), or choose another cache location."
    );
  }
  return 'Make the file and its folder readable and writable by this user (chmod u+rw, u+rwx on folders), or choose another cache location.';
}

/**
 * Maps a Node file-system error to a {@link PersistenceError} whose message says what to do.
 * `EACCES`/`EPERM` → `AccessDenied`, `ENOSPC`/`EDQUOT` → `NoSpace`, `EROFS` → `ReadOnly`,
 * anything else → `Io`. A `PersistenceError` passes through unchanged. The message names `where`
 * when given (say, the folder a temp file could not be created in), else the error's own path.
 * The advice fits `platform` (default: this one): no chmod on Windows.
 *
 * @example
 * ```ts
 * try { await fs.readFile(path); } catch (e) { throw toFileError(e, `file:${path}`, 'read the token cache'); }
 * ```
 */
export function toFileError(
  error: unknown,
  backend: string,
  action: string,
  where?: string,
  platform: NodeJS.Platform = process.platform,
): PersistenceError {
  if (isPersistenceError(error)) return error;
  const { code, path: errorPath } = errnoOf(error);
  const path = where ?? errorPath ?? backend.replace(/^file:/, '');
  const fail = (errorCode: PersistenceErrorCode, advice: string) =>
    new PersistenceError(errorCode, `Could not ${action}: ${advice}`, { backend, cause: error });
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return fail('AccessDenied', `permission denied on ${path}. ${accessAdvice(platform)}`);
    case 'ENOSPC':
    case 'EDQUOT':
      return fail(
        'NoSpace',
        `no space left on the device (or quota exceeded) at ${path}. Free some space; the previous cache content is intact.`,
      );
    case 'EROFS':
      return fail('ReadOnly', `${path} is on a read-only file system. Choose a cache location on a writable disk.`);
    case 'EISDIR':
      return fail(
        'Io',
        `${path} is a directory, not a file. Remove or rename that directory, or choose another cache path.`,
      );
    case 'ENOENT':
    case 'ENOTDIR':
      return fail(
        'Io',
        `a folder on the path ${path} is missing or is not a folder. Check that the cache path's parents are folders this user can create.`,
      );
    case 'EMFILE':
    case 'ENFILE':
      return fail('Io', 'too many open files in this process or system. Close unused files, then retry.');
    case 'ENOTREGULAR':
      return fail(
        'Io',
        `${error instanceof Error ? error.message : `${path} is not a regular file`}. Remove it, or choose another path.`,
      );
    case 'ELOOP':
      return fail('Io', `${path} is a symbolic link loop. Remove it, or choose another path.`);
    case 'EBUSY':
    case 'ETXTBSY':
      return fail('Io', `${path} is busy (held open by another program). Retry, or close that program.`);
    default:
      return fail('Io', `an I/O error occurred on ${path}${code ? ` (${code})` : ''}; see the cause.`);
  }
}
