import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { secretServiceTestMode } from '@msal-persist/persistence-libsecret/testing';
import { describe, expect, it } from 'vitest';
import { noSecretService, runClient, scratch } from './run-client.js';

const tsx = createRequire(import.meta.url).resolve('tsx');
const fixtures = join(import.meta.dirname, 'fixtures');

function importsOf(env: Record<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--import',
        join(fixtures, 'record-imports.mjs'),
        '--import',
        tsx,
        '--conditions=dev-source',
        join(fixtures, 'select.ts'),
      ],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else
          resolve([
            ...new Set(
              stderr
                .split('\n')
                .filter((l) => l.startsWith('imported '))
                .map((l) => l.slice(9)),
            ),
          ]);
      },
    );
  });
}

describe.runIf(process.platform === 'linux')('backends load on demand', () => {
  it.runIf(secretServiceTestMode().run)(
    'on Linux with a Secret Service: libsecret only; DPAPI, Keychain and kernel keyring are never imported',
    async () => {
      const space = scratch('on-demand');
      try {
        const imported = await importsOf(space.env);
        expect(imported).toContain('@msal-persist/persistence-libsecret');
        expect(imported).not.toContain('@msal-persist/persistence-kernel-keyring');
        expect(imported).not.toContain('@msal-persist/persistence-dpapi');
        expect(imported).not.toContain('@msal-persist/persistence-keychain');
      } finally {
        space.cleanup();
      }
    },
  );

  it.runIf(secretServiceTestMode().run)(
    'a process that only reads its Secret Service cache (a CLI start) loads neither koffi nor libsecret',
    async () => {
      const space = scratch('on-demand-read');
      try {
        await runClient(['public', 'sign-in'], space.env);
        const hook = `--import ${join(fixtures, 'record-imports.mjs')}`;
        const run = await runClient(['public', 'silent'], { ...space.env, NODE_OPTIONS: hook });
        expect(run).toMatchObject({ backend: 'libsecret', fromCache: true });
        const imported = run.stderr
          .split('\n')
          .filter((line) => line.startsWith('imported '))
          .map((line) => line.slice('imported '.length));
        expect(imported).toContain('@msal-persist/persistence-libsecret');
        expect(imported).not.toContain('koffi');
        // A write still goes through libsecret.
        const written = await runClient(['public', 'sign-in'], { ...space.env, NODE_OPTIONS: hook });
        expect(written.stderr).toContain('imported koffi');
      } finally {
        await runClient(['public', 'sign-out'], space.env).catch(() => undefined);
        space.cleanup();
      }
    },
  );

  it('on Linux without a Secret Service: the kernel keyring too, never DPAPI or Keychain', async () => {
    const space = scratch('on-demand-kernel');
    try {
      const imported = await importsOf({ ...space.env, ...noSecretService });
      expect(imported).toContain('@msal-persist/persistence-kernel-keyring');
      expect(imported).not.toContain('@msal-persist/persistence-dpapi');
      expect(imported).not.toContain('@msal-persist/persistence-keychain');
    } finally {
      space.cleanup();
    }
  });
});
