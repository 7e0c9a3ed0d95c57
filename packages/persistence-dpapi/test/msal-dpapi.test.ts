import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ICachePlugin, PublicClientApplication } from '@azure/msal-node';
import { isPersistenceError, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { FileLock } from '@msal-persist/persistence-file';
import { afterEach, describe, expect, it } from 'vitest';
import { DpapiPersistence } from '../src/index.js';
import { FakeDpapiNative } from './fake-dpapi-native.js';

const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-00000000d9a1';
const SCOPES = ['User.Read'];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(user = 'ada') {
  const dir = mkdtempSync(join(tmpdir(), 'dpapi-msal-'));
  dirs.push(dir);
  const path = join(dir, 'msal.cache');
  const warnings: string[] = [];
  const plugin = (native = new FakeDpapiNative(user)) =>
    new PersistenceCachePlugin({
      persistence: new DpapiPersistence(path, { native }),
      lock: new FileLock(`${path}.lockfile`),
      logger: { warn: (m) => warnings.push(m) },
    });
  return { dir, path, warnings, plugin };
}

function app(idp: FakeTokenEndpoint, cachePlugin: ICachePlugin): PublicClientApplication {
  return new PublicClientApplication({
    auth: idp.authConfig(CLIENT_ID),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
}

async function signIn(client: PublicClientApplication) {
  const result = await client.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => {} });
  if (!result?.account) throw new Error('device code sign-in returned no account');
  return result;
}

describe('DpapiPersistence with real msal-node, offline (fake DPAPI seam)', () => {
  it('a second application reads the first one’s tokens from the encrypted file, with no network call', async () => {
    const { path, plugin } = setup();
    const first = await signIn(app(new FakeTokenEndpoint(), plugin()));
    expect(readFileSync(path).includes(first.accessToken)).toBe(false);

    const idpB = new FakeTokenEndpoint();
    const second = app(idpB, plugin());
    const [account] = await second.getTokenCache().getAllAccounts();
    expect(account?.username).toBe('ada@contoso.test');
    if (!account) return;
    const silent = await second.acquireTokenSilent({ scopes: SCOPES, account });
    expect(silent.accessToken).toBe(first.accessToken);
    expect(idpB.calls.total).toBe(0);
  });

  it('a tampered file gives an empty cache and a warning, is kept aside, and the next sign-in works', async () => {
    const { dir, path, warnings, plugin } = setup();
    await signIn(app(new FakeTokenEndpoint(), plugin()));
    const tampered = readFileSync(path);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0x55;
    writeFileSync(path, tampered);

    const idp = new FakeTokenEndpoint();
    const client = app(idp, plugin());
    expect(await client.getTokenCache().getAllAccounts()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/cannot be read .*Cannot decrypt the token cache with DPAPI/);

    const again = await signIn(client);
    expect(idp.calls.token.device_code).toBe(1);
    const kept = readdirSync(dir).filter((name) => name.startsWith('msal.cache.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(dir, kept[0] ?? ''))).toEqual(tampered);
    expect(warnings.join('\n')).toMatch(/kept at .*msal\.cache\.corrupt-/);

    const idpC = new FakeTokenEndpoint();
    const reader = app(idpC, plugin());
    const [account] = await reader.getTokenCache().getAllAccounts();
    if (!account) throw new Error('the new sign-in was not saved');
    expect((await reader.acquireTokenSilent({ scopes: SCOPES, account })).accessToken).toBe(again.accessToken);
    expect(idpC.calls.total).toBe(0);
  });

  it('a cache written by another Windows user is not used: empty cache, warning, kept aside on the next save', async () => {
    const { dir, warnings, plugin } = setup();
    await signIn(app(new FakeTokenEndpoint(), plugin(new FakeDpapiNative('bob'))));
    const client = app(new FakeTokenEndpoint(), plugin(new FakeDpapiNative('ada')));
    expect(await client.getTokenCache().getAllAccounts()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/another Windows user/);
    await signIn(client);
    expect(readdirSync(dir).filter((name) => name.startsWith('msal.cache.corrupt-'))).toHaveLength(1);
    expect(await client.getTokenCache().getAllAccounts()).toHaveLength(1);
  });

  it.runIf(process.platform !== 'win32')(
    'off Windows the real seam makes token calls fail with NotAvailable and leaves the cache file alone',
    async () => {
      const { dir, path, warnings } = setup();
      writeFileSync(path, 'a DPAPI blob written on Windows');
      const cachePlugin = new PersistenceCachePlugin({
        persistence: new DpapiPersistence(path),
        lock: new FileLock(`${path}.lockfile`),
        logger: { warn: (m) => warnings.push(m) },
      });
      const error = await app(new FakeTokenEndpoint(), cachePlugin)
        .getTokenCache()
        .getAllAccounts()
        .catch((e: unknown) => e);
      expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
      expect(warnings).toEqual([]);
      expect(readdirSync(dir)).toEqual(['msal.cache']);
      expect(readFileSync(path, 'utf8')).toBe('a DPAPI blob written on Windows');
    },
  );
});
