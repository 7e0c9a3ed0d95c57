import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noSecretService, scratch } from './run-client.js';

// The OS backends are optional dependencies that npm installs only on their OS: on Linux there is
// no @msal-persist/persistence-dpapi or -keychain at all. A resolve hook hides them here, exactly as
// Node then reports them (ERR_MODULE_NOT_FOUND).
const tsx = createRequire(import.meta.url).resolve('tsx');
const fixtures = join(import.meta.dirname, 'fixtures');

interface Chosen {
  backend: string;
  code?: string;
  message?: string;
  fallback?: string;
}

function choose(env: Record<string, string>): Promise<Chosen> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--import',
        join(fixtures, 'hide-packages.mjs'),
        '--import',
        tsx,
        '--conditions=dev-source',
        join(fixtures, 'choose.ts'),
      ],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Chosen);
      },
    );
  });
}

const foreign = ['@msal-persist/persistence-dpapi', '@msal-persist/persistence-keychain'];

describe('backends that npm did not install (another OS, or --omit=optional)', () => {
  it('a forced backend that is not installed: NotAvailable naming the package to install and its OS', async () => {
    const space = scratch('absent-dpapi');
    try {
      const result = await choose({ ...space.env, BACKEND: 'dpapi', MSAL_PERSIST_HIDE: foreign.join(',') });
      expect(result).toMatchObject({ code: 'NotAvailable', backend: 'dpapi' });
      expect(result.message).toContain('@msal-persist/persistence-dpapi is not installed');
      expect(result.message).toContain('npm install @msal-persist/persistence-dpapi');
      expect(result.message).toContain('Windows');
      expect(result.message).not.toMatch(/Cannot find package|imported from/);
      // Not the advice for a machine whose DPAPI fails: nothing is wrong with it but the install.
      expect(result.message).not.toContain('crypt32.dll');
    } finally {
      space.cleanup();
    }
  });

  it.runIf(process.platform === 'linux')(
    'on Linux without the foreign backends and without the Secret Service package: the next backend, saying why',
    async () => {
      const space = scratch('absent-libsecret');
      try {
        const result = await choose({
          ...space.env,
          ...noSecretService,
          MSAL_PERSIST_HIDE: [...foreign, '@msal-persist/persistence-libsecret'].join(','),
        });
        expect(result.backend).toBe('kernel-keyring');
        expect(result.fallback).toContain('@msal-persist/persistence-libsecret is not installed');
      } finally {
        space.cleanup();
      }
    },
  );
});
