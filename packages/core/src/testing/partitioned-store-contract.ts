import { afterEach, describe, expect, it } from 'vitest';
import { isPersistenceError } from '../errors.js';
import type { Lock } from '../lock.js';
import type { PartitionedStore } from '../partitioned-store.js';
import type { Persistence } from '../persistence.js';
import { type LockContractOptions, lockContract } from './lock-contract.js';
import { type PersistenceContractOptions, persistenceContract } from './persistence-contract.js';
import { errorSurface } from './secret-leaks.js';

/** Options for {@link partitionedStoreContract}. */
export interface PartitionedStoreContractOptions {
  /**
   * Opens a second store over the same backing as `store` (the same folder, the same Redis), as
   * another process would. Enables the tests that one key is one cache across store instances.
   */
  peer?: (store: PartitionedStore) => PartitionedStore | Promise<PartitionedStore>;
  /** Called after each test with every store it made (already closed), to remove what they stored. */
  cleanup?: (store: PartitionedStore) => void | Promise<void>;
  /** Expected `isEncrypted`. Checked when set. */
  isEncrypted?: boolean;
  /** How many partitions the "many partitions" test saves and reads back. Default 1,000. */
  manyPartitions?: number;
  /** Passed to the `persistenceContract` run on one partition (skips, payload size). */
  persistence?: Pick<PersistenceContractOptions, 'largeBytes' | 'skip'>;
  /** Passed to the `lockContract` run on one partition. */
  lock?: Omit<LockContractOptions, 'peer'>;
}

const text = (value: string) => new TextEncoder().encode(value);
const read = async (persistence: Persistence) => {
  const bytes = await persistence.load();
  return bytes === null ? null : new TextDecoder().decode(bytes);
};
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

// A marker no implementation would write on its own: finding it anywhere means the raw key leaked.
const MARKER = 'RawPartitionKey-7f3a9c';

// Keys that a careless implementation merges or escapes badly: case (case-insensitive file systems
// and base64), a trailing space, path separators and traversal, NUL, non-ASCII, two lone
// surrogates (UTF-8 turns both into U+FFFD: hashing that gives two keys one cache), a 10,000-char key.
const TRICKY_KEYS = [
  `user:${MARKER}`,
  `user:${MARKER.toUpperCase()}`,
  `user:${MARKER} `,
  `../../${MARKER}/..`,
  `C:\\${MARKER}\\x`,
  `nul\u0000${MARKER}`,
  `obo:ü€😀${MARKER}`,
  `lone:\uD800${MARKER}`,
  `lone:\uD801${MARKER}`,
  `app:${MARKER}:${'x'.repeat(10_000)}`,
];

/**
 * The definition of a partitioned store: registers vitest tests every {@link PartitionedStore}
 * must pass. `factory` returns a fresh store over an empty backing (a new folder, a new Redis
 * prefix). It runs `persistenceContract` and `lockContract` on a partition, then checks isolation
 * between keys, one cache per key across store instances (`peer`), that the raw key appears in no
 * name and no error, `TypeError` for an empty key, an idempotent `close`, and many partitions.
 *
 * @example
 * ```ts
 * import { partitionedStoreContract } from '@msal-persist/core/testing';
 * partitionedStoreContract('FolderPartitionedStore', () => new FolderPartitionedStore({ dir: tempDir() }), {
 *   peer: (store) => new FolderPartitionedStore({ dir: (store as FolderPartitionedStore).dir }),
 * });
 * ```
 */
export function partitionedStoreContract(
  name: string,
  factory: () => PartitionedStore | Promise<PartitionedStore>,
  options: PartitionedStoreContractOptions = {},
): void {
  const manyPartitions = options.manyPartitions ?? 1_000;
  const made: PartitionedStore[] = [];
  const origin = new WeakMap<object, { store: PartitionedStore; key: string }>();
  let sequence = 0;

  const make = async () => {
    const store = await factory();
    made.push(store);
    return store;
  };
  const peerOf = async (store: PartitionedStore) => {
    const peer = options.peer ? await options.peer(store) : store;
    if (peer !== store) made.push(peer);
    return peer;
  };
  const freshKey = () => `contract:${++sequence}:${MARKER}`;

  describe(`${name} — PartitionedStore contract`, () => {
    afterEach(async () => {
      const stores = made.splice(0);
      for (const store of stores) await store.close();
      for (const store of stores) await options.cleanup?.(store);
    });

    persistenceContract(
      `${name}, one partition`,
      async () => {
        const store = await make();
        const key = freshKey();
        const { persistence } = store.partition(key);
        origin.set(persistence, { store, key });
        return persistence;
      },
      {
        ...options.persistence,
        ...(options.isEncrypted === undefined ? {} : { isEncrypted: options.isEncrypted }),
        reopen: async (persistence) => {
          const from = origin.get(persistence);
          if (!from) throw new Error('reopen was given a persistence this contract did not make.');
          return (await peerOf(from.store)).partition(from.key).persistence;
        },
      },
    );

    lockContract(
      `${name}, one partition`,
      async () => {
        const store = await make();
        const key = freshKey();
        const { lock } = store.partition(key);
        origin.set(lock, { store, key });
        return lock;
      },
      {
        ...options.lock,
        peer: async (lock: Lock) => {
          const from = origin.get(lock);
          if (!from) throw new Error('peer was given a lock this contract did not make.');
          return (await peerOf(from.store)).partition(from.key).lock;
        },
      },
    );

    it('describes itself, and its partitions agree on isEncrypted', async () => {
      const store = await make();
      expect(typeof store.name).toBe('string');
      expect(store.name.length).toBeGreaterThan(0);
      expect(typeof store.isEncrypted).toBe('boolean');
      if (options.isEncrypted !== undefined) expect(store.isEncrypted).toBe(options.isEncrypted);
      const key = freshKey();
      const partition = store.partition(key);
      expect(partition.key).toBe(key);
      expect(partition.persistence.isEncrypted).toBe(store.isEncrypted);
    });

    it('throws TypeError for an empty or non-string key', async () => {
      const store = await make();
      expect(() => store.partition('')).toThrow(TypeError);
      expect(() => store.partition(undefined as unknown as string)).toThrow(TypeError);
      expect(() => store.partition(42 as unknown as string)).toThrow(TypeError);
    });

    it('gives one cache per key: two partition() calls share bytes, stamps and the lock', async () => {
      const store = await make();
      const key = freshKey();
      const one = store.partition(key);
      const two = store.partition(key);
      const saved = await one.persistence.save(text('shared'));
      expect(await two.persistence.stamp()).toBe(saved);
      expect(await read(two.persistence)).toBe('shared');
      const held = await one.lock.acquire({ timeoutMs: 5_000 });
      const error = await failure(two.lock.acquire({ timeoutMs: options.lock?.shortTimeoutMs ?? 150 }));
      expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
      await held.release();
      await (await two.lock.acquire({ timeoutMs: 5_000 })).release();
    });

    it("isolates keys: none sees another's bytes, and a save or delete in one moves no other stamp", async () => {
      const store = await make();
      const partitions = TRICKY_KEYS.map((key) => store.partition(key));
      const before = await Promise.all(partitions.map(async (p) => p.persistence.stamp()));
      for (const p of partitions) expect(await p.persistence.load()).toBeNull();

      const stamps: string[] = [];
      for (const [i, p] of partitions.entries()) {
        stamps.push(await p.persistence.save(text(`payload ${i}`)));
        // Everyone saved before i keeps its stamp; everyone after is still untouched.
        for (const [j, other] of partitions.entries()) {
          if (j === i) continue;
          expect(await other.persistence.stamp()).toBe(j < i ? stamps[j] : before[j]);
        }
      }
      for (const [i, p] of partitions.entries()) expect(await read(p.persistence)).toBe(`payload ${i}`);

      await partitions[0]?.persistence.delete();
      expect(await partitions[0]?.persistence.load()).toBeNull();
      for (const [j, other] of partitions.entries()) {
        if (j === 0) continue;
        expect(await other.persistence.stamp()).toBe(stamps[j]);
        expect(await read(other.persistence)).toBe(`payload ${j}`);
      }
    });

    it("never makes one key wait on another key's lock", async () => {
      const store = await make();
      const held = await store.partition(freshKey()).lock.acquire({ timeoutMs: 5_000 });
      try {
        const other = await store.partition(freshKey()).lock.acquire({ timeoutMs: 5_000 });
        await other.release();
      } finally {
        await held.release();
      }
    });

    it('never shows the raw key in a name, a property or a lock error', async () => {
      const store = await make();
      expect(store.name).not.toContain(MARKER);
      for (const key of TRICKY_KEYS) {
        const one = store.partition(key);
        const two = store.partition(key);
        expect(one.persistence.name).not.toContain(MARKER);
        // What `console.log(persistence)` or a logger serialising it would show.
        expect(errorSurface(one.persistence, 2)).not.toContain(MARKER);
        expect(errorSurface(one.lock, 2)).not.toContain(MARKER);
        const held = await one.lock.acquire({ timeoutMs: 5_000 });
        try {
          const error = await failure(two.lock.acquire({ timeoutMs: options.lock?.shortTimeoutMs ?? 150 }));
          expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
          expect(errorSurface(error)).not.toContain(MARKER);
        } finally {
          await held.release();
        }
      }
    });

    it('closes idempotently', async () => {
      const store = await make();
      await store.partition(freshKey()).persistence.save(text('x'));
      await store.close();
      await store.close();
    });

    it(`holds ${manyPartitions} partitions, each with its own bytes`, async () => {
      const store = await make();
      const keys = Array.from({ length: manyPartitions }, (_, i) => `many:${i}:${MARKER}`);
      // Batches keep open files and connections bounded, as a server's concurrency would.
      const batch = 50;
      for (let i = 0; i < keys.length; i += batch) {
        await Promise.all(
          keys.slice(i, i + batch).map((key, j) => store.partition(key).persistence.save(text(`{"n":${i + j}}`))),
        );
      }
      const reader = await peerOf(store);
      const wrong: number[] = [];
      for (let i = 0; i < keys.length; i += batch) {
        const loaded = await Promise.all(
          keys.slice(i, i + batch).map((key) => read(reader.partition(key).persistence)),
        );
        loaded.forEach((value, j) => {
          if (value !== `{"n":${i + j}}`) wrong.push(i + j);
        });
      }
      expect(wrong).toEqual([]);
    });

    describe.runIf(options.peer)('seen from a second store over the same backing', () => {
      it('one key is one cache in both stores: bytes, stamps and the lock; other keys stay empty', async () => {
        const store = await make();
        const peer = await peerOf(store);
        const key = freshKey();
        const mine = store.partition(key);
        const theirs = peer.partition(key);
        const saved = await mine.persistence.save(text('from one'));
        expect(await theirs.persistence.stamp()).toBe(saved);
        expect(await read(theirs.persistence)).toBe('from one');
        expect(await peer.partition(freshKey()).persistence.load()).toBeNull();
        const again = await theirs.persistence.save(text('from two'));
        expect(await mine.persistence.stamp()).toBe(again);
        expect(await read(mine.persistence)).toBe('from two');

        const held = await theirs.lock.acquire({ timeoutMs: 5_000 });
        const error = await failure(mine.lock.acquire({ timeoutMs: options.lock?.shortTimeoutMs ?? 150 }));
        expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
        await held.release();
        await (await mine.lock.acquire({ timeoutMs: 5_000 })).release();
      });
    });
  });
}
