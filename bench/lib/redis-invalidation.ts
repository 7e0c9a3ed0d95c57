// How a Redis reader can learn that another process changed the cache, without a round trip per
// silent call: measured with raw ioredis clients against one local redis-server, so the three
// candidates are compared on equal terms. For each: the write (one script, as the plugin's) and
// the time from sending it until the other connection holds the notification.
//   pubsub    the write script PUBLISHes the new version on the cache's channel (what we ship)
//   keyspace  Redis keyspace notifications (`notify-keyspace-events Kh`, a server setting)
//   tracking  RESP3 client-side caching, BCAST on the key prefix, redirected to a subscriber
//             (ioredis surfaces no in-band `invalidate` push, so REDIRECT is the way it works here)
import { createRequire } from 'node:module';
import type * as IORedis from '../../packages/persistence-redis/node_modules/ioredis/built/index.js';
import { median } from './suite.js';

type Redis = IORedis.Redis;
// ioredis as the Redis package resolves it (the bench lives outside the workspace).
const { Redis: RedisClass } = createRequire(new URL('../../packages/persistence-redis/package.json', import.meta.url))(
  'ioredis',
) as typeof IORedis;

type Mechanism = 'pubsub' | 'keyspace' | 'tracking';

export interface InvalidationFigures {
  /** Median µs from sending a write until the other connection holds its notification. */
  notifyUs: Record<Mechanism, number>;
  /** Median µs of one write round trip (script with PUBLISH vs without). */
  writeUs: { withPublish: number; without: number };
}

const WRITE_AND_PUBLISH = "redis.call('HSET', KEYS[1], 'v', ARGV[1]) redis.pcall('PUBLISH', ARGV[2], ARGV[1]) return 1";
const WRITE_ONLY = "redis.call('HSET', KEYS[1], 'v', ARGV[1]) return 1";

async function timeWrites(client: Redis, script: string, key: string, channel: string, n: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await client.eval(script, 1, key, String(i), channel);
    samples.push((performance.now() - started) * 1000);
  }
  return median(samples);
}

/** Median latency of `n` writes until `subscriber` emits a `message` on `channel`. */
async function timeNotifications(
  writer: Redis,
  subscriber: Redis,
  script: string,
  key: string,
  channel: string,
  n: number,
): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const arrived = new Promise<number>((resolve) => {
      const onMessage = (from: string) => {
        if (from !== channel) return;
        subscriber.off('message', onMessage);
        resolve(performance.now());
      };
      subscriber.on('message', onMessage);
    });
    const started = performance.now();
    await writer.eval(script, 1, key, `${i}`, channel);
    samples.push(((await arrived) - started) * 1000);
  }
  return median(samples);
}

/** Measures the three mechanisms on `url`; leaves the server's settings as it found them. */
export async function measureInvalidation(url: string, n = 300): Promise<InvalidationFigures> {
  const open = () => new RedisClass(url, { protocol: 2 });
  const writer = open();
  const subscriber = open();
  const tracked = open();
  const prefix = `bench-invalidation-${Date.now()}`;
  const key = `${prefix}:{p}:cache`;
  try {
    const pubsubChannel = `${prefix}:{p}:changed`;
    await subscriber.subscribe(pubsubChannel);
    const pubsub = await timeNotifications(writer, subscriber, WRITE_AND_PUBLISH, key, pubsubChannel, n);
    await subscriber.unsubscribe();

    const previous = (await writer.config('GET', 'notify-keyspace-events'))[1] ?? '';
    await writer.config('SET', 'notify-keyspace-events', 'Kh');
    const keyspaceChannel = `__keyspace@0__:${key}`;
    await subscriber.subscribe(keyspaceChannel);
    const keyspace = await timeNotifications(writer, subscriber, WRITE_ONLY, key, keyspaceChannel, n);
    await subscriber.unsubscribe();
    await writer.config('SET', 'notify-keyspace-events', previous);

    // The redirect target: its id first, then it subscribes (a subscribed connection runs nothing else).
    const target = open();
    const targetId = await target.client('ID');
    await target.subscribe('__redis__:invalidate');
    await tracked.client('TRACKING', 'ON', 'REDIRECT', String(targetId), 'BCAST', 'PREFIX', prefix);
    const tracking = await timeNotifications(writer, target, WRITE_ONLY, key, '__redis__:invalidate', n);
    target.disconnect();

    return {
      notifyUs: { pubsub, keyspace, tracking },
      writeUs: {
        withPublish: await timeWrites(writer, WRITE_AND_PUBLISH, key, pubsubChannel, n),
        without: await timeWrites(writer, WRITE_ONLY, key, pubsubChannel, n),
      },
    };
  } finally {
    await writer.del(key);
    for (const client of [writer, subscriber, tracked]) client.disconnect();
  }
}
