import { describe, expect, it } from 'vitest';
import {
  cacheLocation,
  checkCacheName,
  IDENTITY_ACCOUNT,
  IDENTITY_SERVICE,
  identityCacheDirectory,
} from './cache-location.js';

// The values of @azure/identity-cache-persistence 1.2.0 (dist/esm/platforms.js).
describe('where the old package kept its caches', () => {
  it('directory: %APPDATA% with Roaming → Local on Windows, $HOME elsewhere', () => {
    expect(identityCacheDirectory({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toBe(
      'C:\\Users\\u\\AppData\\Local\\.IdentityService',
    );
    expect(identityCacheDirectory({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.IdentityService');
    expect(identityCacheDirectory({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/.IdentityService');
  });

  it('an empty APPDATA counts as unset instead of making a relative folder', () => {
    expect(identityCacheDirectory({ APPDATA: '', HOME: '/home/u' }, 'linux')).toBe('/home/u/.IdentityService');
  });

  it('service Microsoft.Developer.IdentityService, account MSALCache', () => {
    expect(IDENTITY_SERVICE).toBe('Microsoft.Developer.IdentityService');
    expect(IDENTITY_ACCOUNT).toBe('MSALCache');
  });

  it('Windows: one DPAPI file per cache name', () => {
    const at = (name: string) => cacheLocation(name, { directory: 'C:\\d\\.IdentityService' }, 'win32').cachePath;
    expect(at('msal.cache.nocae')).toBe('C:\\d\\.IdentityService\\msal.cache.nocae');
    expect(at('msal.cache.cae')).toBe('C:\\d\\.IdentityService\\msal.cache.cae');
  });

  it('macOS and Linux: every name shares the one item, so one signal file and one lock', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const at = (name: string) => cacheLocation(name, { directory: '/h/.IdentityService' }, platform);
      expect(at('msal.cache.cae')).toEqual(at('msal.cache.nocae'));
      expect(at('my-app')).toEqual({
        cachePath: '/h/.IdentityService/msal.cache.nocae',
        serviceName: IDENTITY_SERVICE,
        accountName: IDENTITY_ACCOUNT,
      });
    }
  });

  it('a cache name that is a path is refused', () => {
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b']) expect(() => checkCacheName(bad)).toThrow(TypeError);
    expect(checkCacheName('msal.cache.cae')).toBe('msal.cache.cae');
  });
});
