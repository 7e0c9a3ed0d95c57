// The hot path: a silent call's stamp comes from memory, kept current by the version each write
// publishes. These tests pin what the README promises about it: no round trip while current, a
// bounded staleness when a message is lost, a fresh read after a reconnect, after an expiry, and
// under the lock.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RedisConnection, RedisPersistence } from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { text } from './support/helpers.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

async function reader(partition: string, maxStalenessMs: number, url = redis.server.url) {
  const connection = redis.closeLater(await RedisConnection.open({ url }));
  return new RedisPersistence(connection, { partition, maxStalenessMs });
}

/** Waits until `persistence` answers from memory (a string, not a promise): it is subscribed and current. */
async function current(persistence: RedisPersistence): Promise<string> {
  let known: string | undefined;
  await waitFor('a stamp from memory', async () => {
    const stamp = persistence.stamp();
    if (typeof stamp === 'string') known = stamp;
    else await stamp;
    return known !== undefined;
  });
  return known ?? '';
}

/** How many commands that could read a stamp (scripts, HGET) the server has run. */
async function readCommands(): Promise<number> {
  const stats = await redis.admin.info('commandstats');
  let calls = 0;
  for (const [, count] of stats.matchAll(/^cmdstat_(?:evalsha|eval|hget|hgetall|pttl):calls=(\d+)/gm))
    calls += Number(count);
  return calls;
}

/** Writes a version straight into the hash, without the message a write publishes (a lost message). */
const silentWrite = (persistence: RedisPersistence, version: string) =>
  redis.admin.hset(persistence.keys.cache, 'v', version, 'd', '{}');

describe('change notifications', () => {
  it('another process’s save reaches a reader by its message; until then and after, its stamps need no round trip', async () => {
    const partition = randomUUID();
    const writer = await reader(partition, 60_000);
    const watcher = await reader(partition, 60_000);
    await current(watcher);
    const saved = await writer.save(text('{"from":"writer"}'));
    await waitFor('the message', () => watcher.stamp() === saved);
    const before = await readCommands();
    for (let i = 0; i < 1000; i++) expect(watcher.stamp()).toBe(saved);
    expect(await readCommands()).toBe(before);
  });

  it('a lost message leaves the stamp stale only until maxStalenessMs runs out', async () => {
    const partition = randomUUID();
    const watcher = await reader(partition, 300);
    const known = await current(watcher);
    await silentWrite(watcher, 'written-without-message');
    const started = performance.now();
    expect(watcher.stamp()).toBe(known);
    await waitFor('the staleness bound', async () => (await watcher.stamp()) === 'written-without-message');
    // Informational: the README's bound is maxStalenessMs plus one round trip.
    console.log(`lost message noticed after ${Math.round(performance.now() - started)} ms (maxStalenessMs 300)`);
  });

  it('a dropped subscription is re-checked as soon as it is back, not only at the staleness bound', async () => {
    const partition = randomUUID();
    const watcher = await reader(partition, 600_000);
    await current(watcher);
    await redis.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await silentWrite(watcher, 'written-while-unsubscribed');
    await waitFor('the re-check', async () => (await watcher.stamp()) === 'written-while-unsubscribed');
  });

  it('an expiry, which publishes nothing, moves the stamp at the TTL', async () => {
    const partition = randomUUID();
    const writer = new RedisPersistence(await RedisConnection.open({ url: redis.server.url }), {
      partition,
      ttlMs: 300,
    });
    const watcher = await reader(partition, 600_000);
    await current(watcher);
    const saved = await writer.save(text('{"short":"lived"}'));
    await waitFor('the message', () => watcher.stamp() === saved);
    await waitFor('the expiry', async () => (await watcher.stamp()) === 'absent');
    await writer.close();
  });

  it('under the lock the stamp is the version read with the lock, even when the last writer’s message was lost', async () => {
    const cache = await redis.cache({ maxStalenessMs: 600_000 });
    await current(cache.persistence);
    await silentWrite(cache.persistence, 'last-holder-wrote-this');
    expect(cache.persistence.stamp()).not.toBe('last-holder-wrote-this');
    const handle = await cache.lock.acquire();
    expect(cache.persistence.stamp()).toBe('last-holder-wrote-this');
    await handle.release();
  });

  it('an ACL user limited to the prefix, as the README recommends, gets the whole hot path', async () => {
    const prefix = `acl-${randomUUID()}`;
    await redis.admin.acl(
      'SETUSER',
      'prefix-only',
      'on',
      '>pw',
      `~${prefix}:*`,
      `&${prefix}:*`,
      '+@read',
      '+@write',
      '+@scripting',
      '+@pubsub',
      '+@connection',
      '+info',
      '+wait',
    );
    const cache = await redis.cache({ url: `redis://prefix-only:pw@127.0.0.1:${redis.server.port}`, prefix });
    const handle = await cache.lock.acquire();
    const saved = await cache.persistence.save(text('{}'));
    await handle.release();
    await waitFor('a stamp from memory', () => cache.persistence.stamp() === saved);
  });

  it('a user whose ACL forbids the channel still writes; its stamps are round trips', async () => {
    await redis.admin.acl('SETUSER', 'no-channels', 'on', '>pw', '~*', 'resetchannels', '+@all');
    const partition = randomUUID();
    const restricted = await reader(partition, 60_000, `redis://no-channels:pw@127.0.0.1:${redis.server.port}`);
    const saved = await restricted.save(text('{}'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stamp = restricted.stamp();
    expect(stamp).toBeInstanceOf(Promise);
    expect(await stamp).toBe(saved);
  });
});
