// Bench worker, plain JavaScript (no TypeScript loader in the process measured). `memory.mjs
// <ours|memory> <cachePath>`: loads the cache at cachePath into msal-node — through our file plugin
// (ours) or through the in-memory string plugin apps write first (memory: the file is read once) —
// makes one silent call, collects garbage and prints {"rss","heapUsed"} in bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [mode = 'ours', cachePath = ''] = process.argv.slice(2);
const packages = new URL('../../packages/', import.meta.url);
const msal = createRequire(new URL('persistence-file/package.json', packages))('@azure/msal-node');
const { FakeTokenEndpoint } = await import(new URL('core/dist/fake-token-endpoint.js', packages).href);

let cachePlugin;
if (mode === 'ours') {
  const core = await import(new URL('core/dist/index.js', packages).href);
  const file = await import(new URL('persistence-file/dist/index.js', packages).href);
  cachePlugin = new core.PersistenceCachePlugin({
    persistence: new file.FilePersistence(cachePath),
    lock: new file.FileLock(`${cachePath}.lockfile`),
    logger: {},
  });
} else {
  let cache = readFileSync(cachePath, 'utf8');
  cachePlugin = {
    async beforeCacheAccess(context) {
      context.tokenCache.deserialize(cache);
    },
    async afterCacheAccess(context) {
      if (context.cacheHasChanged) cache = context.tokenCache.serialize();
    },
  };
}
const idp = new FakeTokenEndpoint();
const app = new msal.PublicClientApplication({
  auth: idp.authConfig('bbbbbbbb-0000-4000-8000-00000000be4c'),
  system: { networkClient: idp.networkClient },
  cache: { cachePlugin },
});
const [account] = await app.getTokenCache().getAllAccounts();
if (!account) throw new Error('memory.mjs: no account in the cache');
for (let i = 0; i < 20; i++) await app.acquireTokenSilent({ scopes: ['User.Read'], account });
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 50));
globalThis.gc?.();
const { rss, heapUsed } = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rss, heapUsed, network: idp.calls.total })}\n`);
