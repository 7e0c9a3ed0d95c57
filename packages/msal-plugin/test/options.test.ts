import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CreateCachePluginOptions, createCachePlugin, createPersistence } from '../src/index.js';
import { scratch } from './run-client.js';

// Bad options are programming errors: a TypeError (or RangeError) naming the option, thrown before
// anything is probed, written or logged.
function refusedBeforeAnything(options: CreateCachePluginOptions) {
  const space = scratch('options');
  const logged: string[] = [];
  const logger = {
    warn: (m: string) => logged.push(m),
    info: (m: string) => logged.push(m),
    error: (m: string) => logged.push(m),
  };
  return {
    async check(make: typeof createCachePlugin | typeof createPersistence, expected: RegExp) {
      try {
        const error = await make({ cachePath: space.env.CACHE_PATH, ...options, logger }).catch((e: unknown) => e);
        expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
        expect((error as Error).message).toMatch(expected);
        expect(logged).toEqual([]);
        expect(existsSync(space.dir) ? readdirSync(space.dir) : []).toEqual([]);
      } finally {
        space.cleanup();
      }
    },
  };
}

describe('option validation in createCachePlugin and createPersistence', () => {
  it.each([createCachePlugin, createPersistence])(
    'an unknown backend is a TypeError naming the valid ones (%o)',
    async (make) => {
      await refusedBeforeAnything({ backend: 'libsecert' as 'libsecret', allowPlaintextFallback: true }).check(
        make,
        /backend must be one of 'dpapi', 'keychain', 'libsecret', 'kernel-keyring', 'file'; got "libsecert"/,
      );
    },
  );

  it.each([
    [{ lockStaleMs: 0 }, /lockStaleMs must be an integer/],
    [{ lockStaleMs: Number.NaN }, /lockStaleMs must be an integer/],
    [{ lockStaleMs: '30000' as unknown as number }, /lockStaleMs must be an integer/],
    [{ lockTimeoutMs: -1 }, /lockTimeoutMs must be an integer/],
    [{ lockTimeoutMs: Number.POSITIVE_INFINITY }, /lockTimeoutMs must be an integer/],
    [{ lockTimeoutMs: 1.5 }, /lockTimeoutMs must be an integer/],
  ] as Array<[CreateCachePluginOptions, RegExp]>)('%j is refused before anything else', async (options, expected) => {
    await refusedBeforeAnything({ ...options, allowPlaintextFallback: true }).check(createCachePlugin, expected);
  });

  it.each([
    [{ appName: 'my\0app' }, /appName must be a plain directory name/],
    [{ serviceName: 'svc\0' }, /serviceName must be a non-empty string without NUL/],
    [{ accountName: '' }, /accountName must be a non-empty string without NUL/],
  ] as Array<[CreateCachePluginOptions, RegExp]>)('%j is a TypeError, not an I/O error', async (options, expected) => {
    await refusedBeforeAnything({ ...options, allowPlaintextFallback: true }).check(createPersistence, expected);
  });

  it('a NUL in cachePath is a TypeError', async () => {
    const error = await createPersistence({ cachePath: '/tmp/a\0b', allowPlaintextFallback: true, logger: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/cachePath must be a file path without NUL/);
  });
});
