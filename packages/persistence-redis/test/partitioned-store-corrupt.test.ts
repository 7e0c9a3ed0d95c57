// A partition whose stored blob does not decode (a wrong key, tampering, a foreign value) must not
// break its user's token calls: under real msal-node the core plugin continues with an empty
// cache, the identity provider is asked, and the next save keeps the bad blob aside.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec, createRedisPartitionedStore, partitionKeys } from '../src/index.js';
import { daemonApp } from './support/daemon-app.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();

describe('RedisPartitionedStore with an unreadable partition', () => {
  it('a blob that does not decode costs one identity-provider call, then is kept aside and replaced', async () => {
    const prefix = `corrupt-${randomUUID()}`;
    const store = redis.closeLater(
      await createRedisPartitionedStore({
        url: redis.server.url,
        prefix,
        codec: new AesGcmCodec({ keys: [{ id: 'k1', key: AesGcmCodec.generateKey() }] }),
      }),
    );
    const { cache } = partitionKeys(prefix, 'app:tenant');
    await redis.admin.hset(cache, 'd', 'not an encrypted cache', 'v', 'planted');

    const first = daemonApp(store.partition('app:tenant'));
    const result = await first.token('https://graph.example/.default');
    expect(result.fromCache).toBe(false);
    expect(first.idp.calls.total).toBe(1);
    expect(await redis.admin.keys(`${cache}.corrupt-*`)).toHaveLength(1);

    const second = daemonApp(store.partition('app:tenant'));
    expect((await second.token('https://graph.example/.default')).fromCache).toBe(true);
    expect(second.idp.calls.total).toBe(0);
  });
});
