// Bench worker, plain JavaScript on purpose: no TypeScript loader in the process being timed, as
// in a user's CLI. `start.mjs <mode> <cachePath>`: from this process's start (imports included,
// which is what performance.now() counts from) to its first silent token from a 1-account cache.
// Prints {"ms","network","fromCache","backend","phases"}: phases are ms from the process's start to
// the end of the static imports (node, msal-node), of building the plugin, and of loading the
// account (the first cache read). Modes: naive, file, plugin (createCachePlugin,
// the OS store), plugin-kernel-keyring.
import { promises as fsp } from 'node:fs';
import { filePlugin, importBuilt, signedInFromCache } from './plain-app.mjs';

const [mode = 'naive', cachePath = ''] = process.argv.slice(2);
const imported = performance.now();

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
  cachePlugin = await filePlugin(cachePath);
} else {
  const { createCachePlugin } = await importBuilt('msal-plugin/dist/index.js');
  cachePlugin = await createCachePlugin({
    appName: 'msal-persist-bench',
    cachePath,
    ...(mode === 'plugin-kernel-keyring' ? { backend: 'kernel-keyring' } : {}),
    logger: {},
  });
  backend = cachePlugin.backend;
}

const built = performance.now();
const { app, idp, account } = await signedInFromCache(cachePlugin, `start.mjs ${mode}`);
const loaded = performance.now();
const result = await app.acquireTokenSilent({ scopes: ['User.Read'], account });
const ms = performance.now();
const phases = { imported, built, loaded };
process.stdout.write(
  `${JSON.stringify({ ms, network: idp.calls.total, fromCache: result.fromCache, backend, phases })}\n`,
);
