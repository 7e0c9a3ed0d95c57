import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPersistence, isPersistenceError } from '../src/index.js';
import { runClient, scratch } from './run-client.js';

// The fallback matrix, for real: the Secret Service is made unreachable by pointing the child's
// session bus at a socket that does not exist.
const noSecretService = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/msal-persist-no-bus' };
const linuxWithSecretService = process.platform === 'linux' && process.env.MSAL_PERSIST_REQUIRE_SECRET_SERVICE === '1';

describe.runIf(process.platform === 'linux')('backend choice on Linux', () => {
  it.runIf(linuxWithSecretService)(
    'Secret Service present: libsecret, encrypted, the probe leaves nothing behind',
    async () => {
      const space = scratch('present');
      try {
        const selection = await createPersistence({
          cachePath: space.env.CACHE_PATH,
          accountName: space.env.ACCOUNT_NAME,
        });
        expect(selection.backend).toBe('libsecret');
        expect(selection.isEncrypted).toBe(true);
        expect(selection.fallbackReason).toBeUndefined();
        expect(existsSync(space.dir) ? readdirSync(space.dir) : []).toEqual([]);
        expect(await selection.persistence.load()).toBeNull();
      } finally {
        space.cleanup();
      }
    },
  );

  it('Secret Service absent, fallback allowed: plaintext 0600 file, a warning, isEncrypted false', async () => {
    const space = scratch('fallback');
    try {
      const run = await runClient(['public', 'sign-in'], { ...space.env, ...noSecretService, ALLOW_PLAINTEXT: '1' });
      expect(run.backend).toBe('file');
      expect(run.encrypted).toBe(false);
      expect(run.stderr).toMatch(/warn: .*PLAINTEXT/);
      expect(statSync(`${space.env.CACHE_PATH}.plaintext.json`).mode & 0o777).toBe(0o600);
      const again = await runClient(['public', 'silent'], { ...space.env, ...noSecretService, ALLOW_PLAINTEXT: '1' });
      expect(again.calls.total).toBe(0);
    } finally {
      space.cleanup();
    }
  });

  it('Secret Service absent, no fallback: a typed error that says what to install, nothing written', async () => {
    const space = scratch('nofallback');
    try {
      const failure = await runClient(['public', 'sign-in'], { ...space.env, ...noSecretService }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(failure?.message).toMatch(/PersistenceError/);
      expect(failure?.message).toMatch(/gnome-keyring/);
      expect(failure?.message).toMatch(/allowPlaintextFallback/);
      expect(existsSync(space.dir) ? readdirSync(space.dir) : []).toEqual([]);
    } finally {
      space.cleanup();
    }
  });
});

describe('explicit backend choice', () => {
  const foreign = process.platform === 'win32' ? 'keychain' : 'dpapi';

  it(`a backend this OS cannot run (${foreign}) fails with NotAvailable, nothing written`, async () => {
    const space = scratch('foreign');
    try {
      const error = await createPersistence({ backend: foreign, cachePath: space.env.CACHE_PATH, logger: {} }).catch(
        (e: unknown) => e,
      );
      expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
      expect((error as Error).cause).toBeDefined();
      expect(existsSync(space.dir) ? readdirSync(space.dir) : []).toEqual([]);
    } finally {
      space.cleanup();
    }
  });

  it('falls back to the plaintext file when allowed, and says why', async () => {
    const space = scratch('foreign-fallback');
    const warnings: string[] = [];
    try {
      const selection = await createPersistence({
        backend: foreign,
        cachePath: space.env.CACHE_PATH,
        allowPlaintextFallback: true,
        logger: { warn: (m) => warnings.push(m) },
      });
      expect(selection.backend).toBe('file');
      expect(selection.isEncrypted).toBe(false);
      expect(selection.fallbackReason?.code).toBe('NotAvailable');
      expect(warnings).toHaveLength(1);
      await selection.persistence.save(new TextEncoder().encode('{}'));
      expect(existsSync(`${space.env.CACHE_PATH}.plaintext.json`)).toBe(true);
      expect(existsSync(space.env.CACHE_PATH)).toBe(false);
    } finally {
      space.cleanup();
    }
  });
});
