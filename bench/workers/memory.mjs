// Bench worker, plain JavaScript (no TypeScript loader in the process measured). `memory.mjs
// <ours|memory> <cachePath>`: loads the cache at cachePath into msal-node — through our file plugin
// (ours) or through the in-memory string plugin apps write first (memory: the file is read once) —
// makes one silent call, collects garbage and prints {"rss","heapUsed"} in bytes.
import { readFileSync } from 'node:fs';
import { filePlugin, signedInFromCache } from './plain-app.mjs';

const [mode = 'ours', cachePath = ''] = process.argv.slice(2);

let cachePlugin;
if (mode === 'ours') {
  cachePlugin = await filePlugin(cachePath);
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
const { app, idp, account } = await signedInFromCache(cachePlugin, 'memory.mjs');
for (let i = 0; i < 20; i++) await app.acquireTokenSilent({ scopes: ['User.Read'], account });
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 50));
globalThis.gc?.();
const { rss, heapUsed } = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rss, heapUsed, network: idp.calls.total })}\n`);
