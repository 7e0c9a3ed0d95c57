import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NodeSystemOptions, PublicClientApplication } from '@azure/msal-node';
import { isPersistenceError, loggerFromOptions } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Environment,
  FilePersistence,
  type IPersistence,
  type IPersistenceConfiguration,
  PersistenceCachePlugin,
  PersistenceCreator,
} from '../src/compat/index.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function scratch(): string {
  dir = mkdtempSync(join(tmpdir(), 'msal-plugin-compat-'));
  return dir;
}

describe('compat persistences', () => {
  it('FilePersistence: save, load, delete as before; the file is owner-only', async () => {
    const path = join(scratch(), 'cache.json');
    const persistence = await FilePersistence.create(path);
    expect(await persistence.load()).toBeNull();
    await persistence.save('{"Account":{}}');
    expect(await persistence.load()).toBe('{"Account":{}}');
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(persistence.getFilePath()).toBe(path);
    expect(await persistence.delete()).toBe(true);
    expect(await persistence.delete()).toBe(false);
  });

  it('verifyPersistence proves the store beside the cache and leaves nothing there', async () => {
    const persistence = await FilePersistence.create(join(scratch(), 'cache.json'));
    expect(await persistence.verifyPersistence()).toBe(true);
    expect(await persistence.load()).toBeNull();
  });

  it('verifyPersistence rejects with a typed error when the store cannot be written', async () => {
    const blocker = join(scratch(), 'not-a-folder');
    writeFileSync(blocker, 'x');
    const persistence = await FilePersistence.create(join(blocker, 'cache.json'));
    const error = await persistence.verifyPersistence().catch((e: unknown) => e);
    expect(isPersistenceError(error)).toBe(true);
  });

  it('a plaintext cache the old FilePersistence wrote is read by real msal-node', async () => {
    const path = join(scratch(), 'cache.json');
    // Written by msal through one plugin, read by a second application through a fresh persistence.
    const idp = new FakeTokenEndpoint();
    const first = new PublicClientApplication({
      auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
      system: { networkClient: idp.networkClient },
      cache: { cachePlugin: new PersistenceCachePlugin(await FilePersistence.create(path)) },
    });
    await first.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
    const plaintext = await (await FilePersistence.create(path)).load();
    rmSync(path);
    // The old package wrote msal's serialization as UTF-8 text with fs.writeFile: the same bytes.
    writeFileSync(path, plaintext ?? '', 'utf8');
    const later = new PublicClientApplication({
      auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
      system: { networkClient: new FakeTokenEndpoint().networkClient },
      cache: { cachePlugin: new PersistenceCachePlugin(await FilePersistence.create(path)) },
    });
    expect((await later.getTokenCache().getAllAccounts()).map((a) => a.username)).toEqual(['ada@contoso.test']);
  });
});

describe('compat PersistenceCachePlugin', () => {
  it('refuses a persistence it did not make, and says what to use instead', () => {
    const foreign: IPersistence = {
      save: async () => {},
      load: async () => null,
      delete: async () => false,
      getFilePath: () => '/tmp/x',
      verifyPersistence: async () => true,
    };
    expect(() => new PersistenceCachePlugin(foreign)).toThrow(/implement Persistence from @msal-persist\/core/);
  });

  it('rejects lock options that would never wait', async () => {
    const persistence = await FilePersistence.create(join(scratch(), 'cache.json'));
    expect(() => new PersistenceCachePlugin(persistence, { retryNumber: 0, retryDelay: 50 })).toThrow(RangeError);
    expect(() => new PersistenceCachePlugin(persistence, { retryNumber: 100, retryDelay: 50 })).not.toThrow();
  });
});

describe('compat PersistenceCreator', () => {
  it('names the missing fields, as a TypeError', async () => {
    const error = await PersistenceCreator.createPersistence({ cachePath: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/cachePath/);
  });
});

describe('compat logger and environment', () => {
  it('takes msal LoggerOptions and honours logLevel', () => {
    const seen: Array<[number, string]> = [];
    const msalOptions: NonNullable<NodeSystemOptions['loggerOptions']> = {
      loggerCallback: (level, message) => seen.push([level, message]),
      logLevel: 1,
    };
    const config: IPersistenceConfiguration = { loggerOptions: msalOptions };
    const logger = loggerFromOptions(config.loggerOptions);
    logger.error?.('e');
    logger.warn?.('w');
    logger.info?.('i');
    expect(logger.info).toBeUndefined();
    expect(seen).toEqual([
      [0, 'e'],
      [1, 'w'],
    ]);
  });

  it.runIf(process.platform !== 'win32')('getUserRootDirectory is $HOME, as before', () => {
    expect(Environment.getUserRootDirectory()).toBe(process.env.HOME);
  });
});
