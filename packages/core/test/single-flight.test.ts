import { describe, expect, it } from 'vitest';
import { isPersistenceError, MemoryPartitionedStore, type PartitionedStore, singleFlight } from '../src/index.js';
import { Gate } from './support/gate.js';

// Another process's view of the same backing: the same partitions and locks, but a different store
// object, so it shares no in-process flight with the first (exactly what separates two processes).
function otherProcess(backing: MemoryPartitionedStore): PartitionedStore {
  return {
    name: backing.name,
    isEncrypted: false,
    partition: (key) => backing.partition(key),
    close: async () => {},
  };
}

/** A cache of one value, a fetch that counts and can be held at a gate. */
function tokenSource(gate?: Gate) {
  let cached: string | undefined;
  let fetches = 0;
  return {
    get fetches() {
      return fetches;
    },
    clear: () => {
      cached = undefined;
    },
    lookup: async () => cached,
    fetch: async () => {
      fetches++;
      await gate?.pass();
      cached = `token ${fetches}`;
      return cached;
    },
  };
}

describe('singleFlight', () => {
  it('serves a cached value without taking the lock or fetching', async () => {
    const store = new MemoryPartitionedStore();
    const source = tokenSource();
    await source.fetch();
    const held = await store.partition('\u0000single-flight\u0000k').lock.acquire();
    const result = await singleFlight({ store, key: 'k', ...source, lockTimeoutMs: 0, onLockError: 'throw' });
    await held.release();
    expect(result).toEqual({ value: 'token 1', source: 'cache', joined: false });
    expect(source.fetches).toBe(1);
  });

  it('50 concurrent misses in one process: one fetch, 49 joined', async () => {
    const store = new MemoryPartitionedStore();
    const gate = new Gate();
    const source = tokenSource(gate);
    const calls = Array.from({ length: 50 }, () => singleFlight({ store, key: 'k', ...source }));
    await gate.reached;
    gate.open();
    const results = await Promise.all(calls);
    expect(source.fetches).toBe(1);
    expect(results.every((r) => r.value === 'token 1' && r.source === 'fetch')).toBe(true);
    expect(results.filter((r) => r.joined)).toHaveLength(49);
  });

  it('a second process waits for the lock, then finds the first one’s token in the cache', async () => {
    const backing = new MemoryPartitionedStore();
    const gate = new Gate();
    const source = tokenSource(gate);
    const first = singleFlight({ store: otherProcess(backing), key: 'k', ...source });
    await gate.reached;
    const second = singleFlight({ store: otherProcess(backing), key: 'k', ...source });
    gate.open();
    expect(await first).toEqual({ value: 'token 1', source: 'fetch', joined: false });
    expect(await second).toEqual({ value: 'token 1', source: 'cache', joined: false });
    expect(source.fetches).toBe(1);
  });

  it('keys are separate flights: different scopes fetch in parallel', async () => {
    const store = new MemoryPartitionedStore();
    const gate = new Gate();
    const a = tokenSource(gate);
    const b = tokenSource();
    const first = singleFlight({ store, key: 'user\nscope-a', ...a });
    await gate.reached;
    // b completes while a's fetch is still held at the gate.
    expect((await singleFlight({ store, key: 'user\nscope-b', ...b })).source).toBe('fetch');
    gate.open();
    await first;
  });

  it('a failed fetch releases the lock and is shared by joiners; the next call fetches again', async () => {
    const store = new MemoryPartitionedStore();
    let fetches = 0;
    const failing = {
      lookup: async () => undefined,
      fetch: async (): Promise<string> => {
        fetches++;
        throw new Error('invalid_grant');
      },
    };
    const results = await Promise.allSettled([
      singleFlight({ store, key: 'k', ...failing }),
      singleFlight({ store, key: 'k', ...failing }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(fetches).toBe(1);
    const source = tokenSource();
    expect((await singleFlight({ store, key: 'k', ...source, lockTimeoutMs: 0, onLockError: 'throw' })).value).toBe(
      'token 1',
    );
  });

  it('when the lock times out it fetches anyway by default, or rethrows with onLockError: throw', async () => {
    const backing = new MemoryPartitionedStore();
    const held = await backing.partition('\u0000single-flight\u0000k').lock.acquire();
    const source = tokenSource();
    const thrown = await singleFlight({
      store: otherProcess(backing),
      key: 'k',
      ...source,
      lockTimeoutMs: 20,
      onLockError: 'throw',
    }).catch((e: unknown) => e);
    expect(isPersistenceError(thrown, 'LockTimeout')).toBe(true);
    expect(source.fetches).toBe(0);
    const fetched = await singleFlight({ store: otherProcess(backing), key: 'k', ...source, lockTimeoutMs: 20 });
    expect(fetched).toEqual({ value: 'token 1', source: 'fetch', joined: false });
    await held.release();
  });

  it('an aborted caller stops waiting with Aborted; the flight it joined completes for the others', async () => {
    const store = new MemoryPartitionedStore();
    const gate = new Gate();
    const source = tokenSource(gate);
    const leader = singleFlight({ store, key: 'k', ...source });
    await gate.reached;
    const controller = new AbortController();
    const joiner = singleFlight({ store, key: 'k', ...source, signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(isPersistenceError(await joiner, 'Aborted')).toBe(true);
    gate.open();
    expect((await leader).value).toBe('token 1');
    const early = await singleFlight({ store, key: 'k', ...source, signal: AbortSignal.abort() }).catch((e) => e);
    expect(isPersistenceError(early, 'Aborted')).toBe(true);
  });

  it('rejects an empty key and a bad lockTimeoutMs as programming errors', async () => {
    const store = new MemoryPartitionedStore();
    const source = tokenSource();
    await expect(singleFlight({ store, key: '', ...source })).rejects.toThrow(TypeError);
    await expect(singleFlight({ store, key: 'k', ...source, lockTimeoutMs: -1 })).rejects.toThrow(/lockTimeoutMs/);
  });
});
