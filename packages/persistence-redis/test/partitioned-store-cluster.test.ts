// The Redis partitioned store on a real 3-primary Redis Cluster: the core contract, partitions
// spread over every node while each partition's keys share one slot, and one subscription (on one
// node) that hears the writes made on every node.
import { randomUUID } from 'node:crypto';
import { partitionedStoreContract } from '@msal-persist/core/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisPartitionedStore, partitionKeys, type RedisPartitionedStore } from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { type RedisClusterServers, startRedisCluster } from './servers/redis-cluster.js';
import { expectHeldPartitionsRevalidated } from './support/background-revalidation.js';
import { text } from './support/helpers.js';

let cluster: RedisClusterServers;
const opened: RedisPartitionedStore[] = [];
const prefixOf = new WeakMap<object, string>();

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  for (const store of opened) await store.close();
  await cluster?.stop();
});

async function open(
  prefix: string,
  maxStalenessMs?: number,
  extra: { revalidateAfterMs?: number } = {},
): Promise<RedisPartitionedStore> {
  const store = await createRedisPartitionedStore({
    cluster: { nodes: cluster.nodes },
    prefix,
    ...(maxStalenessMs === undefined ? {} : { maxStalenessMs }),
    ...extra,
  });
  prefixOf.set(store, prefix);
  opened.push(store);
  return store;
}

// maxStalenessMs 0 with a peer, as on one server (see partitioned-store.test.ts for why).
partitionedStoreContract('RedisPartitionedStore on a Redis Cluster', () => open(`contract-${randomUUID()}`, 0), {
  peer: (store) => open(prefixOf.get(store) ?? '', 0),
  manyPartitions: 200,
});

describe('RedisPartitionedStore on a Redis Cluster', () => {
  it('spreads partitions over every node, each partition in one slot, and one subscription hears them all', async () => {
    const prefix = `spread-${randomUUID()}`;
    const writer = await open(prefix);
    const reader = await open(prefix, 600_000);
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const owners = new Set<number>();
    for (const user of users) {
      const keys = partitionKeys(prefix, user);
      const slots = await Promise.all([keys.cache, keys.seq, keys.lock, keys.fence].map((key) => cluster.ownerOf(key)));
      expect(new Set(slots).size).toBe(1);
      owners.add(slots[0] ?? -1);
    }
    expect(owners).toEqual(new Set([0, 1, 2]));

    // The reader knows every partition (subscribed, settled), then the writer writes on all three nodes.
    const partitions = users.map((user) => reader.partition(user).persistence);
    await waitFor('the reader subscribed and settled', async () => {
      const stamps = partitions.map((p) => p.stamp());
      await Promise.all(stamps);
      return stamps.every((stamp) => typeof stamp === 'string');
    });
    const saved = await Promise.all(
      users.map((user) => writer.partition(user).persistence.save(text(`{"${user}":1}`))),
    );
    // A 10-minute staleness bound: only the messages, from all three nodes, can bring the new versions.
    await waitFor('every message', () => partitions.every((p, i) => p.stamp() === saved[i]));
    expect(reader.stats().subscription.channels).toBe(1);
  });

  it('held partitions on every node stay trusted past revalidateAfterMs (a read per partition), and a hand edit is seen by the background re-check', async () => {
    const prefix = `revalidate-${randomUUID()}`;
    const store = await open(prefix, 100, { revalidateAfterMs: 600 });
    const admin = new Cluster([...cluster.nodes]);
    try {
      await expectHeldPartitionsRevalidated(store, prefix, async (cacheKey) => {
        await admin.hset(cacheKey, 'd', '{"v":2}', 'v', 'hand-edit');
      });
    } finally {
      admin.disconnect();
    }
  });
});
