// The two ways a web app or API keeps tokens per user in Redis, for the web bench rows: ours
// (@msal-persist/web over createRedisPartitionedStore, built dist) and msal-node's own sample
// pattern (a new ConfidentialClientApplication per request with DistributedCachePlugin, a
// partition manager keyed by the user, get/set over ioredis).
import { createRequire } from 'node:module';
import type { FakeTokenEndpoint } from '../../packages/core/dist/testing/index.js';
import type { RedisPartitionedStoreOptions } from '../../packages/persistence-redis/dist/index.js';
import type * as IORedis from '../../packages/persistence-redis/node_modules/ioredis/built/index.js';
import { msal, redis } from './deps.js';

export const web: typeof import('../../packages/web/dist/index.js') = await import('../../packages/web/dist/index.js');

const { Redis } = createRequire(new URL('../../packages/persistence-redis/package.json', import.meta.url))(
  'ioredis',
) as typeof IORedis;

export const API_CLIENT_ID = 'aaaaaaaa-0000-4000-8000-0000000be7ab';
export const GRAPH = ['https://graph.microsoft.com/User.Read'];

/** Ours: WebClients over a Redis partitioned store (L1 on, defaults unless `options` says otherwise). */
export async function ourClients(
  idp: FakeTokenEndpoint,
  url: string,
  options: {
    warmClients?: number;
    keptAnswersMaxBytes?: number;
    store?: Omit<RedisPartitionedStoreOptions, 'url'>;
  } = {},
) {
  const store = await redis.createRedisPartitionedStore({ url, ...options.store });
  const clients = await web.WebClients.create({
    store,
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' },
    system: { networkClient: idp.networkClient },
    logger: {},
    ...(options.warmClients === undefined ? {} : { warmClients: options.warmClients }),
    ...(options.keptAnswersMaxBytes === undefined ? {} : { keptAnswersMaxBytes: options.keptAnswersMaxBytes }),
  });
  return { store, clients };
}

/** A new ioredis client on `url` (the bench's own reads of what the stores wrote). */
export function redisClient(url: string): IORedis.Redis {
  return new Redis(url);
}

/** msal-node's pattern: one ioredis client; per request a new app whose plugin reads and writes one key. */
export function msalPattern(idp: FakeTokenEndpoint, url: string) {
  const client = new Redis(url);
  // A killed server (the outage rows) is reported by the calls; ioredis would also print each retry.
  client.on('error', () => undefined);
  const cacheClient = {
    get: async (key: string) => (await client.get(key)) ?? '',
    set: async (key: string, value: string) => (await client.set(key, value)) ?? '',
  };
  const appFor = (key: string) =>
    new msal.ConfidentialClientApplication({
      auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' },
      system: { networkClient: idp.networkClient },
      cache: {
        cachePlugin: new msal.DistributedCachePlugin(cacheClient, {
          getKey: async () => key,
          extractKey: async (account) => account.homeAccountId ?? key,
        }),
      },
    });
  return { client, appFor, close: () => client.quit() };
}
