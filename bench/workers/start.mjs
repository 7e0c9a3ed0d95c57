// Bench worker, plain JavaScript on purpose: no TypeScript loader in the process being timed, as
// in a user's CLI. `start.mjs <mode> <cachePath>`: from this process's start (imports included,
// which is what performance.now() counts from) to its first silent token from a 1-account cache.
// Prints {"ms","network","fromCache","backend"}. Modes: naive, file, plugin (createCachePlugin,
// the OS store), plugin-kernel-keyring.
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';

const [mode = 'naive', cachePath = ''] = process.argv.slice(2);
const packages = new URL('../../packages/', import.meta.url);
const msal = createRequire(new URL('persistence-file/package.json', packages))('@azure/msal-node');
const { FakeTokenEndpoint } = await import(new URL('core/dist/fake-token-endpoint.js', packages).href);

let cachePlugin;
let backend = mode;
if (mode === 'naive') {
  cachePlugin = {
    async beforeCacheAccess(context) {
      const text = await fsp.readFile(cachePath, 'utf8').catch(() => '');
      if (text) context.tokenCache.deserialize(text);
    },
    async afterCacheAccess(context) {
      if (context.cacheHasChanged) await fsp.writeFile(cachePath, context.tokenCache.serialize());
    },
  };
} else if (mode === 'file') {
  const core = await import(new URL('core/dist/index.js', packages).href);
  const file = await import(new URL('persistence-file/dist/index.js', packages).href);
  cachePlugin = new core.PersistenceCachePlugin({
    persistence: new file.FilePersistence(cachePath),
    lock: new file.FileLock(`${cachePath}.lockfile`),
    logger: {},
  });
} else {
  const { createCachePlugin } = await import(new URL('msal-plugin/dist/index.js', packages).href);
  cachePlugin = await createCachePlugin({
    appName: 'msal-persist-bench',
    cachePath,
    ...(mode === 'plugin-kernel-keyring' ? { backend: 'kernel-keyring' } : {}),
    logger: {},
  });
  backend = cachePlugin.backend;
}

const idp = new FakeTokenEndpoint();
const app = new msal.PublicClientApplication({
  auth: idp.authConfig('bbbbbbbb-0000-4000-8000-00000000be4c'),
  system: { networkClient: idp.networkClient },
  cache: { cachePlugin },
});
const [account] = await app.getTokenCache().getAllAccounts();
if (!account) throw new Error(`start.mjs ${mode}: no account in the cache`);
const result = await app.acquireTokenSilent({ scopes: ['User.Read'], account });
const ms = performance.now();
process.stdout.write(`${JSON.stringify({ ms, network: idp.calls.total, fromCache: result.fromCache, backend })}\n`);
