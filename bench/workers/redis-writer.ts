// Bench worker for suites/redis.ts. `redis-writer <redis-url> <partition> <proc> <count>`: a
// daemon app on the fenced Redis cache (built packages), then the shared writer loop.
import { daemon } from '../lib/apps.js';
import { core, redis } from '../lib/deps.js';
import { writerLoop } from '../lib/writer-loop.js';

const [url = '', partition = 'bench', proc = '0', countArg = '25'] = process.argv.slice(2);
const cache = await redis.createRedisCache({ url, partition, commandTimeoutMs: 10_000 });
const { app } = daemon(
  new core.PersistenceCachePlugin({
    persistence: cache.persistence,
    lock: cache.lock,
    logger: {},
    lockTimeoutMs: 60_000,
  }),
);
await writerLoop(app, proc, Number(countArg));
await cache.close();
process.exit(0);
