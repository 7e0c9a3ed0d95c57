import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createPersistence } from '@msal-persist/msal-plugin';
import { DEBIAN_PYTHON, KEYTAR_WRITER, noSecretService, refuseKeyring } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY_SERVICE, SHARED_ITEM_FILE } from '../src/cache-location.js';
import { identityScratch, runIdentity } from './run-identity.js';

const spaces: Array<ReturnType<typeof identityScratch>> = [];
function space(label: string) {
  const created = identityScratch(label);
  spaces.push(created);
  return created;
}

afterAll(async () => {
  for (const { env, cleanup } of spaces) {
    const { persistence } = await createPersistence({
      cachePath: join(env.CACHE_DIR, SHARED_ITEM_FILE),
      serviceName: IDENTITY_SERVICE,
      accountName: env.ACCOUNT_NAME,
      allowPlaintextFallback: true,
      logger: {},
    });
    await persistence.delete();
    cleanup();
  }
});

describe('@azure/identity credentials across processes', () => {
  it('ClientSecretCredential: the second process makes 0 token calls', async () => {
    const { env } = space('secret');
    const scopes = ['api://one/.default', 'api://two/.default'];
    const first = await runIdentity(['secret', ...scopes], env);
    expect(first.error).toBeUndefined();
    expect(first.calls.token.client_credentials).toBe(2);
    const second = await runIdentity(['secret', ...scopes], env);
    expect(second.calls.total).toBe(0);
    expect(second.tokens).toEqual(first.tokens);
  });

  it('DeviceCodeCredential with an authenticationRecord: a later process is silent', async () => {
    const { env } = space('device');
    const signIn = await runIdentity(['sign-in'], env);
    expect(signIn.calls.token.device_code).toBe(1);
    expect(signIn.record).toMatch(/ada@contoso\.test/);
    const later = await runIdentity(['silent'], { ...env, AUTH_RECORD: signIn.record ?? '' });
    expect(later.error).toBeUndefined();
    expect(later.calls.total).toBe(0);
    expect(later.token).toBe(signIn.token);
  });

  it('CAE and non-CAE credentials writing the one shared item at once lose nothing', async () => {
    const { env } = space('cae');
    const scopes = (kind: string) => Array.from({ length: 12 }, (_, i) => `api://${kind}-${i}/.default`);
    // Both start their token calls at one moment, each spread over ~1 s of fake network latency,
    // so their writes interleave.
    const together = { ...env, LATENCY_MS: '80', START_AT: String(Date.now() + 6_000) };
    const [plain, cae] = await Promise.all([
      runIdentity(['secret', ...scopes('plain')], together),
      runIdentity(['secret', ...scopes('cae')], { ...together, CAE: '1' }),
    ]);
    expect(plain.error ?? cae.error).toBeUndefined();
    const [plainAgain, caeAgain] = await Promise.all([
      runIdentity(['secret', ...scopes('plain')], env),
      runIdentity(['secret', ...scopes('cae')], { ...env, CAE: '1' }),
    ]);
    expect(plainAgain.tokens).toEqual(plain.tokens);
    expect(caeAgain.tokens).toEqual(cae.tokens);
    expect(plainAgain.calls.total + caeAgain.calls.total).toBe(0);
  }, 120_000);
});

describe.runIf(process.platform === 'linux')('no Secret Service', () => {
  it('the kernel keyring instead: encrypted on disk, and the next process is served from it', async () => {
    const { env } = space('kernel');
    const first = await runIdentity(['secret', 'api://x/.default'], { ...env, ...noSecretService });
    expect(first.error).toBeUndefined();
    const file = join(env.CACHE_DIR, `${SHARED_ITEM_FILE}.kernel-keyring`);
    const token = first.tokens?.['api://x/.default'] ?? '';
    expect(token).not.toBe('');
    expect(readFileSync(file).includes(token)).toBe(false);
    const second = await runIdentity(['secret', 'api://x/.default'], { ...env, ...noSecretService });
    expect(second.calls.total).toBe(0);
  });

  it('nor a kernel keyring, without the unsafe flag: a typed error from getToken, no unhandled rejection, the process goes on', async () => {
    const { env } = space('no-store');
    const run = await runIdentity(['secret', 'api://x/.default'], { ...env, ...noSecretService }, refuseKeyring);
    expect(run.error).toMatchObject({ name: 'PersistenceError', typed: true, code: 'NotAvailable' });
    expect(run.error?.message).toMatch(/unsafeAllowUnencryptedStorage|allowPlaintextFallback/);
    expect(run.calls.total).toBe(0);
  });

  it('control: a factory that rejects at construction (the old package) ends the process with code 1', async () => {
    const { env } = space('naive');
    const failure = await runIdentity(['secret', 'api://x/.default'], { ...env, NAIVE: '1' }).catch(
      (e: Error & { exitCode?: number }) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { exitCode?: number }).exitCode).toBe(1);
  });

  it('nor a kernel keyring, with unsafeAllowUnencryptedStorage: a 0600 plaintext file, a warning, and the next process is served from it', async () => {
    const { env } = space('unsafe');
    const unsafe = { ...env, ...noSecretService, UNSAFE: '1' };
    const first = await runIdentity(['secret', 'api://x/.default'], unsafe, refuseKeyring);
    expect(first.error).toBeUndefined();
    expect(first.stderr).toMatch(/warn: .*PLAINTEXT/);
    const file = join(env.CACHE_DIR, `${SHARED_ITEM_FILE}.plaintext.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await runIdentity(['secret', 'api://x/.default'], unsafe, refuseKeyring);
    expect(second.calls.total).toBe(0);
  });
});

describe('the drop-in cachePersistencePlugin keeps the old package’s layout', () => {
  it('~/.IdentityService, one shared item (and its signal and lock) for CAE and non-CAE', async () => {
    const { dir } = space('layout');
    // Located as the old package does: by HOME (APPDATA first, which Linux and macOS do not set).
    const env = { DEFAULT_LOCATION: '1', HOME: dir, APPDATA: '' };
    if (process.platform === 'win32') Object.assign(env, { APPDATA: join(dir, 'AppData', 'Roaming') });
    const plain = await runIdentity(['secret', 'api://layout-plain/.default'], env);
    const cae = await runIdentity(['secret', 'api://layout-cae/.default'], { ...env, CAE: '1' });
    expect(plain.error ?? cae.error).toBeUndefined();
    const directory =
      process.platform === 'win32' ? join(dir, 'AppData', 'Local', '.IdentityService') : join(dir, '.IdentityService');
    const files = readdirSync(directory).sort();
    if (process.platform === 'win32') {
      expect(files).toEqual(['msal.cache.cae', 'msal.cache.nocae']);
    } else {
      expect(files).toEqual(['msal.cache.nocae']);
      // Both caches went into the one item at Microsoft.Developer.IdentityService / MSALCache.
      const { persistence } = await createPersistence({
        cachePath: join(directory, SHARED_ITEM_FILE),
        serviceName: IDENTITY_SERVICE,
        accountName: 'MSALCache',
        logger: {},
      });
      const stored = new TextDecoder().decode((await persistence.load()) ?? new Uint8Array());
      expect(stored).toContain(plain.tokens?.['api://layout-plain/.default']);
      expect(stored).toContain(cae.tokens?.['api://layout-cae/.default']);
      await persistence.delete();
    }
    expect(existsSync(join(directory, `${SHARED_ITEM_FILE}.lockfile`))).toBe(false);
  });
});

// The old package's item, written as keytar wrote it by an independent writer (Python gi.repository.Secret).
describe.runIf(process.platform === 'linux')('Linux carry-over from the old package', () => {
  it('a cache @azure/identity-cache-persistence left in the Secret Service serves the first getToken', async () => {
    const { dir } = space('keytar');
    const env = { DEFAULT_LOCATION: '1', HOME: dir, APPDATA: '' };
    const first = await runIdentity(['secret', 'api://old/.default'], env);
    const { persistence } = await createPersistence({
      cachePath: join(dir, '.IdentityService', SHARED_ITEM_FILE),
      serviceName: IDENTITY_SERVICE,
      accountName: 'MSALCache',
      logger: {},
    });
    const cache = new TextDecoder().decode((await persistence.load()) ?? new Uint8Array());
    await persistence.delete();
    execFileSync(DEBIAN_PYTHON, [KEYTAR_WRITER, 'store', IDENTITY_SERVICE, 'MSALCache'], { input: cache });
    const later = await runIdentity(['secret', 'api://old/.default'], env);
    expect(later.calls.total).toBe(0);
    expect(later.tokens).toEqual(first.tokens);
    await persistence.delete();
  });
});
