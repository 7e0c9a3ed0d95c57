import { describe, expect, it } from 'vitest';
import { MemoryPartitionedStore } from './memory-partitioned-store.js';
import { partitionedStoreContract } from './testing/index.js';

// One instance is the whole backing, as for MemoryPersistence: its peer is itself.
partitionedStoreContract('MemoryPartitionedStore', () => new MemoryPartitionedStore(), {
  isEncrypted: false,
  peer: (store) => store,
  lock: { verify: true },
});

describe('MemoryPartitionedStore', () => {
  it('hands out one pair per key and counts them', () => {
    const store = new MemoryPartitionedStore({ name: 'sessions' });
    const a = store.partition('a');
    expect(store.partition('a')).toBe(a);
    store.partition('b');
    expect(store.size).toBe(2);
    expect(a.persistence.name).toBe('sessions#1');
  });
});
