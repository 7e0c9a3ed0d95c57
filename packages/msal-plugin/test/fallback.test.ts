import { existsSync, readdirSync, statSync } from 'node:fs';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { describe, expect, it } from 'vitest';
import { KernelKeyringPersistence } from '../src/backends/kernel-keyring.js';
import { createPersistence, isPersistenceError } from '../src/index.js';
import { noSecretService, refuseKeyring, runClient, scratch } from './run-client.js';

// The Linux chain for real: Secret Service → kernel keyring → plaintext only when allowed. The
// Secret Service is made unreachable by pointing the child's session bus at a socket that does not
// exist; the kernel keyring by a seccomp filter that refuses its syscalls, as Docker's does.
const mode = secretServiceTestMode();
const linux = process.platform === 'linux';
const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const warningsIn = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('warn: '));
skippedNotice(mode, 'msal-plugin: "Secret Service present: libsecret" (the first choice on Linux)');

describe.runIf(linux)('backend choice on Linux', () => {
  it.runIf(mode.run)('Secret Service present: libsecret, encrypted, the probe leaves nothing behind', async () => {
    const space = scratch('present');
    try {
      const selection = await createPersistence({
        cachePath: space.env.CACHE_PATH,
        accountName: space.env.ACCOUNT_NAME,
      });
      expect(selection.backend).toBe('libsecret');
      expect(selection.isEncrypted).toBe(true);
      expect(selection.fallbackReason).toBeUndefined();
      expect(filesIn(space.dir)).toEqual([]);
      expect(await selection.persistence.load()).toBeNull();
    } finally {
      space.cleanup();
    }
  });

  it('no Secret Service: the kernel keyring, encrypted, no warning, and a second process reads it silently', async () => {
    const space = scratch('kernel');
    try {
      const env = { ...space.env, ...noSecretService };
      const run = await runClient(['public', 'sign-in'], env);
      expect(run).toMatchObject({
        backend: 'kernel-keyring',
        encrypted: true,
        cachePath: `${space.env.CACHE_PATH}.kernel-keyring`,
      });
      expect(warningsIn(run.stderr)).toEqual([]);
      expect(statSync(run.cachePath).mode & 0o777).toBe(0o600);
      expect(existsSync(`${space.env.CACHE_PATH}.plaintext.json`)).toBe(false);
      const again = await runClient(['public', 'silent'], env);
      expect(again).toMatchObject({ backend: 'kernel-keyring', fromCache: true });
      expect(again.calls.total).toBe(0);
    } finally {
      // The file and its key in the kernel keyring.
      await new KernelKeyringPersistence(`${space.env.CACHE_PATH}.kernel-keyring`).delete();
      space.cleanup();
    }
  });

  it('no Secret Service and a kernel refusing keyrings, fallback allowed: plaintext 0600 and one warning with each cause in one clause', async () => {
    const space = scratch('fallback');
    try {
      const env = { ...space.env, ...noSecretService, ALLOW_PLAINTEXT: '1' };
      const run = await runClient(['public', 'sign-in'], env, refuseKeyring);
      expect(run).toMatchObject({
        backend: 'file',
        encrypted: false,
        cachePath: `${space.env.CACHE_PATH}.plaintext.json`,
      });
      const warnings = warningsIn(run.stderr);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/PLAINTEXT/);
      expect(warnings[0]).toContain('libsecret: No D-Bus session bus is reachable at DBUS_SESSION_BUS_ADDRESS;');
      expect(warnings[0]).toContain('kernel-keyring: The kernel refused the keyring call (EPERM):');
      expect(warnings[0]).not.toMatch(/probe-|autolaunch|X11/);
      expect(statSync(run.cachePath).mode & 0o777).toBe(0o600);
      const again = await runClient(['public', 'silent'], env, refuseKeyring);
      expect(again.calls.total).toBe(0);
    } finally {
      space.cleanup();
    }
  });

  it('no Secret Service and a kernel refusing keyrings, no fallback: a typed error naming both causes and fixes, nothing written', async () => {
    const space = scratch('nofallback');
    try {
      const failure = await runClient(['public', 'sign-in'], { ...space.env, ...noSecretService }, refuseKeyring).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(failure?.message).toMatch(
        /PersistenceError: \[libsecret\] No encrypted token cache works here \(libsecret: .*; kernel-keyring: .*EPERM/,
      );
      expect(failure?.message).toMatch(/gnome-keyring/);
      expect(failure?.message).toMatch(/seccomp/);
      expect(failure?.message).toMatch(/allowPlaintextFallback/);
      expect(failure?.message).not.toMatch(/probe-/);
      expect(filesIn(space.dir)).toEqual([]);
    } finally {
      space.cleanup();
    }
  });
});

describe('explicit backend choice', () => {
  const foreign = process.platform === 'win32' ? 'keychain' : 'dpapi';

  it(`a backend this OS cannot run (${foreign}) fails with NotAvailable under its plain name, nothing written`, async () => {
    const space = scratch('foreign');
    try {
      const error = await createPersistence({ backend: foreign, cachePath: space.env.CACHE_PATH, logger: {} }).catch(
        (e: unknown) => e,
      );
      expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
      expect((error as { backend?: string }).backend).toBe(foreign);
      expect((error as Error).cause).toBeDefined();
      expect(filesIn(space.dir)).toEqual([]);
    } finally {
      space.cleanup();
    }
  });

  it('falls back to the plaintext file when allowed, and says why once per process', async () => {
    const space = scratch('foreign-fallback');
    const warnings: string[] = [];
    try {
      const options = {
        backend: foreign,
        cachePath: space.env.CACHE_PATH,
        allowPlaintextFallback: true,
        logger: { warn: (m: string) => warnings.push(m) },
      } as const;
      const selection = await createPersistence(options);
      await createPersistence(options);
      expect(selection.backend).toBe('file');
      expect(selection.isEncrypted).toBe(false);
      expect(selection.cachePath).toBe(`${space.env.CACHE_PATH}.plaintext.json`);
      expect(selection.fallbackReason?.code).toBe('NotAvailable');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^the encrypted token cache is not available \\(${foreign}: `));
      await selection.persistence.save(new TextEncoder().encode('{}'));
      expect(existsSync(`${space.env.CACHE_PATH}.plaintext.json`)).toBe(true);
      expect(existsSync(space.env.CACHE_PATH)).toBe(false);
    } finally {
      space.cleanup();
    }
  });
});
