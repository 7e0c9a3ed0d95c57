// Bench worker for bench/suites/redis.ts, run from the BUILT packages (no dev-source condition).
// `writer <redis-url> <partition> <proc> <count>`: builds a daemon app on the Redis cache, prints
// {"ready":true}, waits for "go" on stdin, acquires <count> client-credential tokens for distinct
// scopes, prints {"done":true,"ms","tokens","failures"}.
import { createInterface } from 'node:readline';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { createRedisCache } from '@msal-persist/persistence-redis';

const [url = '', partition = 'bench', proc = '0', countArg = '25'] = process.argv.slice(2);
const idp = new FakeTokenEndpoint();
const cache = await createRedisCache({ url, partition, commandTimeoutMs: 10_000 });
const app = new ConfidentialClientApplication({
  auth: { ...idp.authConfig('bbbbbbbb-0000-4000-8000-00000000be4c'), clientSecret: 'fake-secret' },
  system: { networkClient: idp.networkClient },
  cache: {
    cachePlugin: new PersistenceCachePlugin({
      persistence: cache.persistence,
      lock: cache.lock,
      logger: {},
      lockTimeoutMs: 60_000,
    }),
  },
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const tokens: string[] = [];
let failures = 0;
const started = performance.now();
for (let i = 0; i < Number(countArg); i++) {
  try {
    const result = await app.acquireTokenByClientCredential({ scopes: [`api://p${proc}-s${i}/.default`] });
    if (result) tokens.push(result.accessToken);
    else failures++;
  } catch {
    failures++;
  }
}
const ms = performance.now() - started;
await cache.close();
process.stdout.write(`${JSON.stringify({ done: true, ms, tokens, failures })}\n`);
process.exit(0);
