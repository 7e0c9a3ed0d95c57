import { join } from 'node:path';
import { findSecretLeaks } from '@msal-persist/core/testing';
import { runNodeFixture } from '@msal-persist/test-support';
import { describe, expect, it, vi } from 'vitest';
import { KernelKeyringPersistence } from '../src/backends/kernel-keyring.js';
import { noSecretService, scratch } from './run-client.js';

const fixture = join(import.meta.dirname, 'fixtures', 'log-lines.ts');

interface Logged {
  backend: string;
  lines: Array<{ level: number; message: string; containsPii: boolean }>;
  secrets: string[];
}

describe.runIf(process.platform === 'linux')(
  "createCachePlugin with msal's LoggerOptions (real msal-node, offline)",
  () => {
    it('at Verbose: why the fallback was taken (Info), the backend chosen, lock waits, saves, reloads skipped (Verbose); never a token', async () => {
      const space = scratch('logging');
      try {
        const { result } = await runNodeFixture<Logged>(fixture, [], { env: { ...space.env, ...noSecretService } });
        expect(result.backend).toBe('kernel-keyring');
        const at = (level: number) => result.lines.filter((line) => line.level === level).map((line) => line.message);
        expect(at(2)).toEqual([
          expect.stringMatching(
            /^using the kernel-keyring backend \(encrypted, .*\) because libsecret: No D-Bus session bus is reachable/,
          ),
        ]);
        const verbose = at(3);
        expect(verbose).toContainEqual(
          expect.stringMatching(
            /^using the kernel-keyring backend \(encrypted, .*\.kernel-keyring\), chosen and probed in \d+\.\d ms\.$/,
          ),
        );
        expect(verbose).toContainEqual(
          expect.stringMatching(/^kernel-keyring:.*: lock taken after waiting \d+\.\d ms\.$/),
        );
        expect(verbose).toContainEqual(expect.stringMatching(/: saved \d+ bytes in \d+\.\d ms\.$/));
        expect(verbose).toContainEqual(expect.stringMatching(/: unchanged, reload skipped \(read\)\.$/));
        expect(at(0)).toEqual([]);
        expect(result.lines.every((line) => line.containsPii === false)).toBe(true);
        const text = result.lines.map((line) => line.message).join('\n');
        expect(result.secrets.length).toBeGreaterThanOrEqual(3);
        expect(result.secrets.flatMap((secret) => findSecretLeaks(text, secret))).toEqual([]);
      } finally {
        await new KernelKeyringPersistence(`${space.env.CACHE_PATH}.kernel-keyring`).delete();
        space.cleanup();
      }
    });
  },
);

describe.runIf(process.platform !== 'win32')('createPersistence passes its logger to the backend it builds', () => {
  it("the cache file's warning about a folder others may write reaches the caller's logger, not the console", async () => {
    const { chmodSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { createPersistence } = await import('../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'msal-plugin-open-folder-'));
    chmodSync(dir, 0o777);
    const warnings: string[] = [];
    const consoleWarn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { persistence } = await createPersistence({
        backend: 'file',
        cachePath: join(dir, 'msal.cache'),
        logger: { warn: (message) => warnings.push(message) },
      });
      await persistence.load();
      expect(warnings).toContainEqual(expect.stringContaining(`${dir} is writable by others`));
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      consoleWarn.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
