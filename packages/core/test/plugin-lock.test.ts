import { describe, expect, it, vi } from 'vitest';
import {
  isPersistenceError,
  type Lock,
  type LockAcquireOptions,
  MemoryLock,
  MemoryPersistence,
  type Persistence,
  PersistenceCachePlugin,
  type PersistenceCachePluginOptions,
  PersistenceError,
  textToBytes,
} from '../src/index.js';
import { GatedPersistence } from './support/gated-persistence.js';
import { expectNoLeaks, RecordingLogger } from './support/recording-logger.js';
import { read, ScriptedTokenCache, storedText, write } from './support/scripted-token-cache.js';

function setup(options: Partial<PersistenceCachePluginOptions> = {}) {
  const persistence = new GatedPersistence();
  const lock = new MemoryLock();
  const logger = new RecordingLogger();
  const plugin = new PersistenceCachePlugin({ persistence, lock, logger, ...options });
  return { persistence, lock, logger, plugin, cache: new ScriptedTokenCache() };
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );

/** Starts a write whose save hangs at a gate; resolves once it hangs there. */
async function hungWrite(plugin: PersistenceCachePlugin, persistence: GatedPersistence, cache: ScriptedTokenCache) {
  const gate = persistence.holdNextSave();
  const context = write(cache);
  await plugin.beforeCacheAccess(context);
  cache.state.first = 1;
  const done = plugin.afterCacheAccess(context);
  await gate.reached;
  return { gate, done };
}

describe('the in-process queue of writers (issue 11.5)', () => {
  it('fails a writer queued behind a hung save of this process with LockTimeout after lockTimeoutMs', async () => {
    const { persistence, plugin, cache, logger } = setup({ lockTimeoutMs: 50 });
    const hung = await hungWrite(plugin, persistence, cache);
    const error = await outcome(plugin.beforeCacheAccess(write(cache)));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect((error as Error).message).toContain('this process');
    hung.gate.open();
    await hung.done;
    expectNoLeaks({ logger, errors: [error] }, [await storedText(persistence)]);
  }, 5_000);

  it('spends one deadline: the cross-process lock gets what the in-process wait left', async () => {
    const memoryLock = new MemoryLock();
    const asked: LockAcquireOptions[] = [];
    const lock: Lock = {
      acquire: (options = {}) => {
        asked.push(options);
        return memoryLock.acquire(options);
      },
    };
    const { persistence, plugin, cache } = setup({ lock, lockTimeoutMs: 10_000 });
    const hung = await hungWrite(plugin, persistence, cache);
    const second = write(cache);
    const queued = plugin.beforeCacheAccess(second);
    await new Promise((resolve) => setTimeout(resolve, 40));
    hung.gate.open();
    await hung.done;
    await queued;
    await plugin.afterCacheAccess(second);
    expect(asked).toHaveLength(2);
    expect(asked[0]?.timeoutMs).toBe(10_000);
    expect(asked[1]?.timeoutMs).toBeGreaterThan(0);
    expect(asked[1]?.timeoutMs).toBeLessThan(10_000);
  });

  it('stops a queued writer with Aborted when the plugin’s signal aborts, and passes the signal to the lock', async () => {
    const controller = new AbortController();
    const lock = new MemoryLock();
    const acquire = vi.spyOn(lock, 'acquire');
    const { persistence, plugin, cache } = setup({ lock, signal: controller.signal, onSaveError: 'warn' });
    const hung = await hungWrite(plugin, persistence, cache);
    expect(acquire.mock.calls[0]?.[0]?.signal).toBe(controller.signal);
    const queued = outcome(plugin.beforeCacheAccess(write(cache)));
    controller.abort(new Error('shutting down'));
    // 'warn' covers a lock that cannot be taken, not a wait the application called off.
    expect(isPersistenceError(await queued, 'Aborted')).toBe(true);
    hung.gate.open();
    await hung.done;
  }, 5_000);
});

describe("onSaveError: 'warn' and a lock that cannot be taken (issue 11.6)", () => {
  it('proceeds in memory only: no save, one logged error, and msal’s snapshot keeps the change', async () => {
    const { persistence, lock, plugin, cache, logger } = setup({ lockTimeoutMs: 30, onSaveError: 'warn' });
    await persistence.save(textToBytes('{"stored":1}'));
    await plugin.beforeCacheAccess(read(cache));
    const other = await lock.acquire();
    const save = vi.spyOn(persistence, 'save');

    const context = write(cache);
    await plugin.beforeCacheAccess(context);
    cache.state.fresh = 'token';
    await plugin.afterCacheAccess(context);

    expect(save).not.toHaveBeenCalled();
    expect(await storedText(persistence)).toBe('{"stored":1}');
    expect(JSON.parse(cache.snapshot)).toEqual({ stored: 1, fresh: 'token' });
    expect(logger.at('error')).toHaveLength(1);
    expect(logger.at('error')[0]).toContain('memory only');
    // The store did not change, so the next read keeps what msal holds instead of reloading.
    const load = vi.spyOn(persistence, 'load');
    await plugin.beforeCacheAccess(read(cache));
    expect(load).not.toHaveBeenCalled();
    await other.release();
    expectNoLeaks({ logger }, [cache.snapshot]);
  });

  it("also when the in-process queue times out behind a hung save, and 'throw' still rejects", async () => {
    const warn = setup({ lockTimeoutMs: 30, onSaveError: 'warn' });
    const hung = await hungWrite(warn.plugin, warn.persistence, warn.cache);
    const context = write(warn.cache);
    await warn.plugin.beforeCacheAccess(context);
    warn.cache.state.second = 2;
    await warn.plugin.afterCacheAccess(context);
    expect(JSON.parse(warn.cache.snapshot)).toMatchObject({ second: 2 });
    hung.gate.open();
    await hung.done;

    const strict = setup({ lockTimeoutMs: 30 });
    const held = await strict.lock.acquire();
    const error = await outcome(strict.plugin.beforeCacheAccess(write(strict.cache)));
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    await held.release();
  });
});

describe('failures around the lock', () => {
  it('releases the cross-process lock and the in-process queue when the reload under the lock fails', async () => {
    const { persistence, lock, plugin, cache } = setup();
    await plugin.beforeCacheAccess(read(cache));
    await persistence.save(textToBytes('{"other":"writer"}'));
    const denied = new PersistenceError('AccessDenied', 'denied', { backend: persistence.name });
    vi.spyOn(persistence, 'load').mockRejectedValueOnce(denied);
    const context = write(cache);
    await expect(plugin.beforeCacheAccess(context)).rejects.toBe(denied);
    await plugin.afterCacheAccess(context);

    const handle = await lock.acquire({ timeoutMs: 50 });
    await handle.release();
    const next = write(cache);
    await plugin.beforeCacheAccess(next);
    cache.state.mine = 1;
    await plugin.afterCacheAccess(next);
    expect(JSON.parse(await storedText(persistence))).toEqual({ other: 'writer', mine: 1 });
  });

  it('wraps stamp() failures like load failures: a typed Io error that keeps the cause', async () => {
    const persistence = new MemoryPersistence();
    const plugin = new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger: {} });
    const cache = new ScriptedTokenCache();
    const thrown = new Error('EIO: i/o error, stat');
    vi.spyOn(persistence, 'stamp').mockImplementationOnce(() => {
      throw thrown;
    });
    const sync = await outcome(plugin.beforeCacheAccess(read(cache)));
    expect(isPersistenceError(sync, 'Io')).toBe(true);
    expect((sync as Error).cause).toBe(thrown);
    expect((sync as PersistenceError).backend).toBe(persistence.name);

    vi.spyOn(persistence as Persistence, 'stamp').mockImplementationOnce(() => Promise.reject(thrown));
    const async = await outcome(plugin.beforeCacheAccess(write(cache)));
    expect(isPersistenceError(async, 'Io')).toBe(true);
    expect((async as Error).cause).toBe(thrown);
    // A PersistenceError from the backend passes through as it is.
    const typed = new PersistenceError('NotAvailable', 'server down', { backend: persistence.name });
    vi.spyOn(persistence as Persistence, 'stamp').mockImplementationOnce(() => Promise.reject(typed));
    expect(await outcome(plugin.beforeCacheAccess(read(cache)))).toBe(typed);
  });
});
