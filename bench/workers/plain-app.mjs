// What the plain-JavaScript workers (start.mjs, memory.mjs) share: the built packages and
// msal-node resolved as a user's app resolves them, our file plugin (loaded only when asked for,
// so a baseline process never loads our code), and a public client on the fake token endpoint
// whose first account is signed in from the cache.
import { createRequire } from 'node:module';

const packages = new URL('../../packages/', import.meta.url);
const msal = createRequire(new URL('persistence-file/package.json', packages))('@azure/msal-node');
const { FakeTokenEndpoint } = await import(new URL('core/dist/fake-token-endpoint.js', packages).href);

/** Imports a built package's entry, e.g. `importBuilt('msal-plugin/dist/index.js')`. */
export function importBuilt(path) {
  return import(new URL(path, packages).href);
}

/** The shipped plugin over a plain file: FilePersistence + FileLock on `<cache>.lockfile`. */
export async function filePlugin(cachePath) {
  const core = await importBuilt('core/dist/index.js');
  const file = await importBuilt('persistence-file/dist/index.js');
  return new core.PersistenceCachePlugin({
    persistence: new file.FilePersistence(cachePath),
    lock: new file.FileLock(`${cachePath}.lockfile`),
    logger: {},
  });
}

/** A public client through `cachePlugin`, and the account its cache holds (throws when none). */
export async function signedInFromCache(cachePlugin, worker) {
  const idp = new FakeTokenEndpoint();
  const app = new msal.PublicClientApplication({
    auth: idp.authConfig('bbbbbbbb-0000-4000-8000-00000000be4c'),
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
  const [account] = await app.getTokenCache().getAllAccounts();
  if (!account) throw new Error(`${worker}: no account in the cache`);
  return { app, idp, account };
}
