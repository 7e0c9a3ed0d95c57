// The apps' view on Windows: createCachePlugin picks DPAPI at the default location, real msal-node
// signs in against the fake token endpoint and a second node.exe process is served from the cache;
// the CLI's doctor and inspect; @msal-persist/identity at @azure/identity-cache-persistence's location.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, win32 } from 'node:path';
import { after, describe, test } from 'node:test';
import { identityCacheDirectory } from '@msal-persist/identity';
import { createCachePlugin } from '@msal-persist/msal-plugin';
import { KoffiDpapiNative } from '@msal-persist/persistence-dpapi';
import { childScript, lastJson, runNode } from './support.mjs';

/** The environment (Windows variables such as LOCALAPPDATA included); no build output depends on it. */
const { env } = process;

const appName = `msal-persist-lane-${randomBytes(4).toString('hex')}`;
const appFolder = join(env.LOCALAPPDATA ?? '', appName);
const cachePath = join(appFolder, 'msal.cache');

/** A node.exe child running real msal-node with createCachePlugin({ appName }) and a fake token endpoint. */
const msalClient = `
  import { PublicClientApplication } from '@azure/msal-node';
  import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
  import { createCachePlugin } from '@msal-persist/msal-plugin';
  const [appName, mode] = process.argv.slice(2);
  const idp = new FakeTokenEndpoint();
  const cachePlugin = await createCachePlugin({ appName, logger: {} });
  const app = new PublicClientApplication({
    auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
  const scopes = ['User.Read'];
  const out = { backend: cachePlugin.backend, encrypted: cachePlugin.isEncrypted, cachePath: cachePlugin.selection.cachePath };
  if (mode === 'sign-in') {
    const first = await app.acquireTokenByDeviceCode({ scopes, deviceCodeCallback: () => {} });
    const again = await app.acquireTokenSilent({ scopes, account: first.account });
    out.sameToken = again.accessToken === first.accessToken;
    out.username = first.account.username;
  } else {
    const [account] = await app.getTokenCache().getAllAccounts();
    const silent = await app.acquireTokenSilent({ scopes, account });
    out.username = account.username;
    out.fromCache = silent.fromCache;
  }
  out.calls = idp.calls.total;
  console.log(JSON.stringify(out));
`;

describe('createCachePlugin, msal-node and the CLI on win32', () => {
  after(() => rmSync(appFolder, { recursive: true, force: true }));

  test('createCachePlugin picks DPAPI (encrypted) at %LOCALAPPDATA%\\<app>\\msal.cache, its lock beside it', async () => {
    const plugin = await createCachePlugin({ appName, logger: {} });
    assert.equal(plugin.backend, 'dpapi');
    assert.equal(plugin.isEncrypted, true);
    assert.ok(win32.isAbsolute(env.LOCALAPPDATA ?? ''), 'LOCALAPPDATA is a Windows path');
    assert.equal(plugin.selection.cachePath, cachePath);
    assert.equal(plugin.selection.lock.path, `${cachePath}.lockfile`);
  });

  test('msal-node signs in (device code) in one node.exe process; another is served from the DPAPI cache', async (t) => {
    const script = childScript(t, msalClient);
    const first = await runNode(script, [appName, 'sign-in']);
    assert.equal(first.code, 0, first.stderr);
    const signIn = lastJson(first);
    assert.deepEqual(
      {
        backend: signIn.backend,
        encrypted: signIn.encrypted,
        cachePath: signIn.cachePath,
        sameToken: signIn.sameToken,
      },
      { backend: 'dpapi', encrypted: true, cachePath, sameToken: true },
    );
    assert.equal(signIn.calls, 2, 'device code + token, and nothing for the silent call');

    const stored = readFileSync(cachePath);
    assert.ok(!stored.includes('RefreshToken'), 'the file is not plaintext');
    const json = JSON.parse(
      new TextDecoder().decode(await new KoffiDpapiNative().unprotect(stored, undefined, 'CurrentUser')),
    );
    assert.ok(Object.keys(json.RefreshToken ?? {}).length > 0, 'the DPAPI blob holds the refresh token');

    const second = await runNode(script, [appName, 'silent']);
    assert.equal(second.code, 0, second.stderr);
    const silent = lastJson(second);
    assert.deepEqual(
      { username: silent.username, fromCache: silent.fromCache, calls: silent.calls },
      { username: signIn.username, fromCache: true, calls: 0 },
    );
  });

  test("the issue's load: 4 node.exe daemons x 10 client-credential tokens on one cache while a fifth process loads it in a loop: no save fails, every token is kept", async (t) => {
    const daemon = childScript(
      t,
      `import { ConfidentialClientApplication } from '@azure/msal-node';
       import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
       import { createCachePlugin } from '@msal-persist/msal-plugin';
       const [appName, id, count] = process.argv.slice(2);
       const idp = new FakeTokenEndpoint();
       const cachePlugin = await createCachePlugin({ appName, logger: {} });
       const app = new ConfidentialClientApplication({
         auth: { ...idp.authConfig('aaaaaaaa-0000-4000-8000-0000000dae70'), clientSecret: 'test-secret' },
         system: { networkClient: idp.networkClient },
         cache: { cachePlugin },
       });
       const failures = [];
       for (let i = 0; i < Number(count); i++) {
         try {
           await app.acquireTokenByClientCredential({ scopes: ['api://daemon-' + id + '-' + i + '/.default'] });
         } catch (error) {
           failures.push((error.code ?? error.name) + ' ' + error.message);
         }
       }
       console.log(JSON.stringify({ failures }));`,
    );
    const loader = childScript(
      t,
      `import { existsSync } from 'node:fs';
       import { createPersistence } from '@msal-persist/msal-plugin';
       const [appName, stopFile] = process.argv.slice(2);
       const { persistence } = await createPersistence({ appName, logger: {} });
       const failures = [];
       let loads = 0;
       while (!existsSync(stopFile)) {
         try {
           await persistence.load();
           loads++;
         } catch (error) {
           failures.push(error.code + ' ' + error.message);
         }
       }
       console.log(JSON.stringify({ loads, failures }));`,
    );
    const stopFile = join(appFolder, 'stop-loading');
    const loading = runNode(loader, [appName, stopFile], { timeoutMs: 600_000 });
    const daemons = await Promise.all(
      [0, 1, 2, 3].map((id) => runNode(daemon, [appName, String(id), '10'], { timeoutMs: 600_000 })),
    );
    writeFileSync(stopFile, '');
    const loaded = await loading;
    rmSync(stopFile, { force: true });
    for (const result of [...daemons, loaded]) assert.equal(result.code, 0, result.stderr);
    const failures = daemons.flatMap((result) => lastJson(result).failures);
    assert.equal(failures.length, 0, `${failures.length} of 40 token calls failed, first: ${failures[0]}`);
    assert.deepEqual(lastJson(loaded).failures, []);
    const json = JSON.parse(
      new TextDecoder().decode(
        await new KoffiDpapiNative().unprotect(readFileSync(cachePath), undefined, 'CurrentUser'),
      ),
    );
    const targets = Object.values(json.AccessToken ?? {}).map((token) => token.target);
    for (let id = 0; id < 4; id++) {
      for (let i = 0; i < 10; i++)
        assert.ok(
          targets.some((target) => target.includes(`api://daemon-${id}-${i}/.default`)),
          `token ${id}-${i} kept`,
        );
    }
  });

  const cli = createRequire(import.meta.url)
    .resolve('@msal-persist/cli/package.json')
    .replace(/package\.json$/, 'dist/cli.js');

  test('msal-persist doctor --json: DPAPI works here and is what createCachePlugin chooses', async () => {
    const result = await runNode(cli, ['doctor', '--json', '--app-name', appName]);
    assert.equal(result.code, 0, result.stderr);
    const report = lastJson(result);
    assert.equal(report.ok, true);
    assert.equal(report.platform, 'win32');
    assert.equal(report.choice?.backend, 'dpapi');
    assert.equal(report.choice?.encrypted, true);
    assert.equal(report.choice?.location?.file, cachePath);
    assert.equal(report.backends.find((backend) => backend.backend === 'dpapi')?.available, true);
  });

  test('msal-persist inspect --json reads the signed-in account from the DPAPI cache, lock free', async () => {
    assert.ok(existsSync(cachePath), 'the sign-in test above wrote the cache');
    const result = await runNode(cli, ['inspect', '--json', '--app-name', appName]);
    assert.equal(result.code, 0, result.stderr);
    const report = lastJson(result);
    assert.equal(report.backend, 'dpapi');
    assert.equal(report.encrypted, true);
    assert.equal(report.readable, true);
    assert.equal(report.lock.state, 'free');
    assert.deepEqual(
      report.accounts.map((account) => account.username),
      ['ada@contoso.test'],
    );
  });
});

describe('@msal-persist/identity on win32', () => {
  test("the cache directory is @azure/identity-cache-persistence's: %APPDATA% with Roaming → Local, \\.IdentityService", () => {
    assert.match(env.APPDATA ?? '', /\\Roaming$/);
    const expected = `${(env.APPDATA ?? '').replace(/Roaming$/, 'Local')}\\.IdentityService`;
    assert.equal(identityCacheDirectory(), expected);
    assert.equal(identityCacheDirectory(), join(env.LOCALAPPDATA ?? '', '.IdentityService'));
  });

  test('@azure/identity with cachePersistencePlugin stores a DPAPI file there; a second process gets its token from it', async (t) => {
    const name = `msal-persist-lane-${randomBytes(4).toString('hex')}`;
    // identity names the file after tokenCachePersistenceOptions.name (some versions add .nocae).
    const candidates = [name, `${name}.nocae`].map((file) => join(identityCacheDirectory(), file));
    t.after(() => {
      for (const file of candidates)
        for (const leftover of [file, `${file}.lockfile`]) rmSync(leftover, { force: true });
    });
    const script = childScript(
      t,
      `import { ClientSecretCredential, useIdentityPlugin } from '@azure/identity';
       import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
       import { cachePersistencePlugin } from '@msal-persist/identity';
       import { FakeTokenEndpointHttpClient } from '@msal-persist/identity/testing';
       useIdentityPlugin(cachePersistencePlugin);
       const idp = new FakeTokenEndpoint();
       const credential = new ClientSecretCredential(idp.tenantId, 'aaaaaaaa-0000-4000-8000-0000000dae70', 'secret', {
         authorityHost: 'https://' + idp.host,
         httpClient: new FakeTokenEndpointHttpClient(idp),
         tokenCachePersistenceOptions: { enabled: true, name: process.argv[2] },
       });
       const token = await credential.getToken('https://graph.microsoft.com/.default');
       console.log(JSON.stringify({ token: token.token, calls: idp.calls.token.client_credentials }));`,
    );
    const first = await runNode(script, [name]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(lastJson(first).calls, 1);
    const written = candidates.filter((file) => existsSync(file));
    assert.equal(written.length, 1, `one of ${candidates.join(', ')} exists`);
    const stored = readFileSync(written[0]);
    assert.ok(!stored.includes('AccessToken'), 'the file is not plaintext');
    assert.ok((await new KoffiDpapiNative().unprotect(stored, undefined, 'CurrentUser')).byteLength > 0);
    const second = await runNode(script, [name]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(lastJson(second), { token: lastJson(first).token, calls: 0 });
  });
});
