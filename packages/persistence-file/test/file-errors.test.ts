import { isPersistenceError, PersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { toFileError } from '../src/index.js';

const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code, path: '/x/cache.json' });

describe('toFileError', () => {
  it.each([
    ['EACCES', 'AccessDenied', /permission denied on \/x\/cache\.json.*chmod/],
    ['EPERM', 'AccessDenied', /permission denied/],
    ['ENOSPC', 'NoSpace', /no space left.*previous cache content is intact/],
    ['EDQUOT', 'NoSpace', /quota/],
    ['EROFS', 'ReadOnly', /read-only file system.*writable disk/],
    ['EISDIR', 'Io', /is a directory/],
    ['ENOENT', 'Io', /missing or is not a folder/],
    ['ENOTDIR', 'Io', /missing or is not a folder/],
    ['EMFILE', 'Io', /too many open files/],
    ['EBUSY', 'Io', /busy/],
    ['EIO', 'Io', /I\/O error.*\(EIO\)/],
  ])('maps %s to %s with advice', (code, expected, message) => {
    const cause = errno(code);
    const error = toFileError(cause, 'file:/x/cache.json', 'save the cache');
    expect(isPersistenceError(error, expected as PersistenceError['code'])).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^\[file:\/x\/cache\.json\] Could not save the cache: /);
    expect(error.backend).toBe('file:/x/cache.json');
    expect(error.cause).toBe(cause);
  });

  it.each(['EACCES', 'EPERM'])(
    'gives Windows advice for %s on win32: another program holding the file, no chmod',
    (code) => {
      const cause = Object.assign(new Error(`${code}: failed`), { code, path: 'C:\\x\\msal.cache' });
      const error = toFileError(cause, 'file:C:\\x\\msal.cache', 'save the cache', undefined, 'win32');
      expect(error.code).toBe('AccessDenied');
      expect(error.message).toContain('permission denied on C:\\x\\msal.cache');
      expect(error.message).toMatch(/another program may hold the file open/i);
      expect(error.message).not.toMatch(/chmod|u\+rw/);
      expect(toFileError(cause, 'file:/x', 'save', undefined, 'linux').message).toContain('chmod u+rw');
    },
  );

  it('maps errors without a code to Io and keeps a PersistenceError as it is', () => {
    expect(toFileError(new Error('odd'), 'file:/y', 'read').code).toBe('Io');
    expect(toFileError('not even an error', 'file:/y', 'read').message).toContain('/y');
    const original = new PersistenceError('Corrupt', 'bad', { backend: 'file:/y' });
    expect(toFileError(original, 'file:/z', 'read')).toBe(original);
  });
});
