import { promises as fsp, statSync } from 'node:fs';
import type { CachePlugin } from '../../packages/core/dist/index.js';
import { core, coreTesting, file, msal } from './deps.js';

export const CLIENT_ID = 'bbbbbbbb-0000-4000-8000-00000000be4c';

/** The shipped plugin: FilePersistence + FileLock on `<cache>.lockfile`. */
export function filePlugin(cachePath: string, staleMs?: number): CachePlugin {
  return new core.PersistenceCachePlugin({
    persistence: new file.FilePersistence(cachePath),
    lock: new file.FileLock(`${cachePath}.lockfile`, staleMs === undefined ? {} : { staleMs }),
    logger: {},
    lockTimeoutMs: 60_000,
  });
}

/** The naive baseline: reads the file on every access, writes it on every change, no lock, no fsync. */
export function naivePlugin(cachePath: string): CachePlugin {
  return {
    async beforeCacheAccess(context) {
      const text = await fsp.readFile(cachePath, 'utf8').catch(() => '');
      if (text) context.tokenCache.deserialize(text);
    },
    async afterCacheAccess(context) {
      if (context.cacheHasChanged) await fsp.writeFile(cachePath, context.tokenCache.serialize());
    },
  };
}

/** The in-memory baseline plugin most apps write first: a string in memory (optionally seeded). */
export function memoryStringPlugin(initial = ''): CachePlugin {
  let cache = initial;
  return {
    async beforeCacheAccess(context) {
      if (cache) context.tokenCache.deserialize(cache);
    },
    async afterCacheAccess(context) {
      if (context.cacheHasChanged) cache = context.tokenCache.serialize();
    },
  };
}

/**
 * The in-memory plugin plus the one `stat` of `path` per access that any plugin pays to see another
 * process's save at once: the floor for a plugin that checks its file on every call.
 */
export function memoryStringPluginWithStat(path: string): CachePlugin {
  const memory = memoryStringPlugin();
  return {
    async beforeCacheAccess(context) {
      statSync(path, { bigint: true, throwIfNoEntry: false });
      await memory.beforeCacheAccess(context);
    },
    afterCacheAccess: (context) => memory.afterCacheAccess(context),
  };
}

export function daemon(cachePlugin: CachePlugin | undefined) {
  const idp = new coreTesting.FakeTokenEndpoint();
  const app = new msal.ConfidentialClientApplication({
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
  });
  return { app, idp };
}

export function publicClient(cachePlugin: CachePlugin | undefined, idp = new coreTesting.FakeTokenEndpoint()) {
  const app = new msal.PublicClientApplication({
    auth: idp.authConfig(CLIENT_ID),
    system: { networkClient: idp.networkClient },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
  });
  return { app, idp };
}
