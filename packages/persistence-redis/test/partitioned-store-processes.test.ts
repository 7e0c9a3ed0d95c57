// Two web server processes over one Redis: the L1 of each stays coherent through the change
// notifications (a write in one is what the other's next read returns), and a read of a
// partition known to be current sends no command to Redis at all.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { monitorCommands } from './support/command-monitor.js';
import { type PartitionWorker, startPartitionWorker } from './support/partition-worker.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();
const workers: PartitionWorker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
});

async function fleet(count: number): Promise<PartitionWorker[]> {
  const env = { REDIS_URL: redis.server.url, PREFIX: `fleet-${randomUUID()}` };
  const started = await Promise.all(Array.from({ length: count }, () => startPartitionWorker(env)));
  workers.push(...started);
  return started;
}

/** Every command the server has run, the test's own INFO and the stores' heartbeat PUBLISHes left out. */
async function commandCalls(): Promise<number> {
  const stats = await redis.admin.info('commandstats');
  let calls = 0;
  for (const [, name, count] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info' && name !== 'publish') calls += Number(count);
  }
  return calls;
}

describe('RedisPartitionedStore across processes', () => {
  it('a write in one process is what the other’s next read returns, 100 times in turn', async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('two workers expected');
    const stale: string[] = [];
    for (let i = 0; i < 100; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      // Both have the partition in their L1 (the reader read it last round).
      await writer.write('user-1', `{"n":${i}}`);
      const seen = await reader.read('user-1');
      if (seen !== `{"n":${i}}`) stale.push(`round ${i}: ${seen}`);
    }
    expect(stale).toEqual([]);
    // Every read after the other's write went to Redis once: the notification had made the copy stale.
    const [statsA, statsB] = await Promise.all([a.stats(), b.stats()]);
    expect(statsA.redis.reads + statsB.redis.reads).toBeGreaterThanOrEqual(100);
  });

  it('a read of a partition known to be current costs no command; after another process’s write, one', async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('two workers expected');
    await a.write('user-2', '{"v":1}');
    // Until b's subscription is confirmed its reads ask Redis; then its copy is known current.
    for (let tries = 0; ; tries++) {
      const before = await commandCalls();
      expect(await b.read('user-2')).toBe('{"v":1}');
      if ((await commandCalls()) === before) break;
      if (tries > 100) throw new Error('the reader never served user-2 from memory');
    }
    const before = await commandCalls();
    const hitsBefore = (await b.stats()).l1.hits;
    for (let i = 0; i < 200; i++) expect(await b.read('user-2')).toBe('{"v":1}');
    expect(await commandCalls()).toBe(before);
    expect((await b.stats()).l1.hits - hitsBefore).toBe(200);

    await a.write('user-2', '{"v":2}');
    const monitor = await monitorCommands(redis.server.url);
    try {
      // The stamp's round trip brings the new bytes; the load and the next read are served from memory.
      expect(await b.read('user-2')).toBe('{"v":2}');
      expect(await b.read('user-2')).toBe('{"v":2}');
      await monitor.settled();
      // Heartbeats (PUBLISH) aside: one script, the read.
      expect(monitor.commands.filter((name) => name !== 'publish')).toEqual(['evalsha']);
    } finally {
      await monitor.stop();
    }
  });
});
