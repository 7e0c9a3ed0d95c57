// The Redis partitioned store through Sentinel: the core contract, then a SIGKILL of the primary.
// Writes wait for the new primary; the one subscription follows it, so a reader whose copy was
// current before the failover gets the writes made after it, then serves from memory again.
import { randomUUID } from 'node:crypto';
import { partitionedStoreContract } from '@msal-persist/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisPartitionedStore, type RedisPartitionedStore } from '../src/index.js';
import { waitFor } from './servers/processes.js';
import { type SentinelTopology, startSentinelTopology } from './servers/redis-sentinel.js';
import { decode, text } from './support/helpers.js';

let topology: SentinelTopology;
const opened: RedisPartitionedStore[] = [];
const prefixOf = new WeakMap<object, string>();

beforeAll(async () => {
  topology = await startSentinelTopology();
}, 60_000);
afterAll(async () => {
  for (const store of opened) await store.close();
  await topology?.stop();
});

async function open(prefix: string, maxStalenessMs?: number): Promise<RedisPartitionedStore> {
  const store = await createRedisPartitionedStore({
    sentinel: { name: topology.name, sentinels: topology.sentinels },
    prefix,
    ...(maxStalenessMs === undefined ? {} : { maxStalenessMs }),
  });
  prefixOf.set(store, prefix);
  opened.push(store);
  return store;
}

/** Waits until `store` answers `key`'s stamp from memory with `version`. */
async function knows(store: RedisPartitionedStore, key: string, version: string): Promise<void> {
  const { persistence } = store.partition(key);
  await waitFor(
    `a stamp from memory of ${version}`,
    async () => {
      const stamp = persistence.stamp();
      if (typeof stamp === 'string') return stamp === version;
      await stamp.catch(() => undefined);
      return false;
    },
    30_000,
  );
}

// maxStalenessMs 0 with a peer, as on one server (see partitioned-store.test.ts for why).
partitionedStoreContract('RedisPartitionedStore through Sentinel', () => open(`contract-${randomUUID()}`, 0), {
  peer: (store) => open(prefixOf.get(store) ?? '', 0),
  manyPartitions: 100,
});

describe('RedisPartitionedStore through Sentinel', () => {
  it('across a failover: writes wait for the new primary, and a reader’s subscription follows it', async () => {
    const prefix = `failover-${randomUUID()}`;
    const writer = await open(prefix);
    // A 10-minute staleness bound: only the notifications can tell the reader about a write.
    const reader = await open(prefix, 600_000);
    const before = await writer.partition('user').persistence.save(text('{"before":1}'));
    await knows(reader, 'user', before);
    expect(decode(await reader.partition('user').persistence.load())).toBe('{"before":1}');

    const oldPrimary = await topology.primaryPort();
    await topology.primary.kill();
    const after = await writer.partition('user').persistence.save(text('{"after":1}'));
    expect(await topology.primaryPort()).not.toBe(oldPrimary);
    await knows(reader, 'user', after);
    expect(decode(await reader.partition('user').persistence.load())).toBe('{"after":1}');
    expect(reader.stats().subscription.channels).toBe(1);
  }, 60_000);
});
