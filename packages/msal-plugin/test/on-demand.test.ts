import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratch } from './run-client.js';

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

describe('backends load on demand', () => {
  it.runIf(process.platform === 'linux')('on Linux the DPAPI and Keychain packages are never imported', async () => {
    const space = scratch('on-demand');
    try {
      const imported = await importsOf(space.env);
      expect(imported).toContain('@msal-persist/persistence-libsecret');
      expect(imported).not.toContain('@msal-persist/persistence-dpapi');
      expect(imported).not.toContain('@msal-persist/persistence-keychain');
    } finally {
      space.cleanup();
    }
  });
});
