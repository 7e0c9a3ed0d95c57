import { describe, expect, it } from 'vitest';
import { backendFor, encryptedBackendsFor } from './backends.js';
import { defaultCacheDirectory } from './default-paths.js';

describe('defaults', () => {
  it('maps each OS to its encrypted backend', () => {
    expect(backendFor('win32')).toBe('dpapi');
    expect(backendFor('darwin')).toBe('keychain');
    expect(backendFor('linux')).toBe('libsecret');
    expect(backendFor('freebsd')).toBeUndefined();
  });

  it('on Linux tries the Secret Service, then the kernel keyring', () => {
    expect(encryptedBackendsFor('linux')).toEqual(['libsecret', 'kernel-keyring']);
    expect(encryptedBackendsFor('freebsd')).toEqual([]);
  });

  it('puts the cache in the per-user cache directory of each OS', () => {
    expect(defaultCacheDirectory('app', 'linux', {}, '/home/u')).toBe('/home/u/.cache/app');
    expect(defaultCacheDirectory('app', 'linux', { XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/app');
    expect(defaultCacheDirectory('app', 'darwin', {}, '/Users/u')).toBe('/Users/u/Library/Caches/app');
    expect(defaultCacheDirectory('app', 'win32', { LOCALAPPDATA: 'C:/Users/u/AppData/Local' }, 'C:/Users/u')).toMatch(
      /AppData[\\/]Local[\\/]app$/,
    );
  });

  it('rejects an appName that is a path or holds a NUL', () => {
    expect(() => defaultCacheDirectory('../evil', 'linux', {}, '/home/u')).toThrow(TypeError);
    expect(() => defaultCacheDirectory('a\0b', 'linux', {}, '/home/u')).toThrow(TypeError);
    expect(() => defaultCacheDirectory('', 'linux', {}, '/home/u')).toThrow(TypeError);
  });
});
