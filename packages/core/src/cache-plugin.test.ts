import { describe, expect, it, vi } from 'vitest';
import { read, ScriptedTokenCache, write } from '../test/support/scripted-token-cache.js';
import { textToBytes } from './bytes.js';
import { PersistenceCachePlugin, type PersistenceCachePluginOptions } from './cache-plugin.js';
import { isPersistenceError, PersistenceError } from './errors.js';
import type { Lock, LockHandle } from './lock.js';
import { MemoryLock } from './memory-lock.js';
import { MemoryPersistence } from './memory-persistence.js';

function setup(options: Partial<PersistenceCachePluginOptions> = {}) {
  const persistence = new MemoryPersistence();
  const lock = new MemoryLock();
  const warnings: string[] = [];
  const errors: string[] = [];
  const plugin = new PersistenceCachePlugin({
    persistence,
    lock,
    logger: { warn: (m) => warnings.push(m), error: (m) => errors.push(m) },
    ...options,
  });
  return { persistence, lock, plugin, warnings, errors, cache: new ScriptedTokenCache() };
}

async function writeThrough(
  plugin: PersistenceCachePlugin,
  cache: ScriptedTokenCache,
  change: Record<string, unknown>,
) {
  const context = write(cache);
  await plugin.beforeCacheAccess(context);
  Object.assign(cache.state, change);
  await plugin.afterCacheAccess(context);
}

describe('PersistenceCachePlugin', () => {
  it('does not reload while the stamp is unchanged, and reloads when it changed', async () => {
    const { persistence, plugin, cache } = setup();
    await persistence.save(textToBytes('{"A":1}'));
    const load = vi.spyOn(persistence, 'load');

    for (let i = 0; i < 5; i++) await plugin.beforeCacheAccess(read(cache));
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.state).toEqual({ A: 1 });
    expect(plugin.stats).toMatchObject({ stampChecks: 5, loads: 1 });

    await persistence.save(textToBytes('{"A":2}'));
    await plugin.beforeCacheAccess(read(cache));
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.state).toEqual({ A: 2 });
  });

  it('starts from `preloaded` at its stamp, once, and reads the store when the stamp moved', async () => {
    const persistence = new MemoryPersistence();
    await persistence.save(textToBytes('{"A":1}'));
    const preloaded = { stamp: await persistence.stamp(), data: textToBytes('{"A":"preloaded"}') };
    const load = vi.spyOn(persistence, 'load');
    const plugin = new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), preloaded, logger: {} });
    const cache = new ScriptedTokenCache();
    await plugin.beforeCacheAccess(read(cache));
    expect(cache.state).toEqual({ A: 'preloaded' });
    expect(load).not.toHaveBeenCalled();
    // Used once: a second token cache served by the same plugin reads the store.
    const other = new ScriptedTokenCache();
    await plugin.beforeCacheAccess(read(other));
    expect(other.state).toEqual({ A: 1 });
    expect(load).toHaveBeenCalledTimes(1);

    // Moved between the read and the first access: the store is read instead.
    const moved = new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), preloaded, logger: {} });
    await persistence.save(textToBytes('{"A":2}'));
    const third = new ScriptedTokenCache();
    await moved.beforeCacheAccess(read(third));
    expect(third.state).toEqual({ A: 2 });
    // Not a read of the store: refused when the plugin is created.
    const bad = { stamp: 1, data: '{}' } as unknown as typeof preloaded;
    expect(() => new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), preloaded: bad })).toThrow(
      TypeError,
    );
  });

  it('writes under the lock, saves what msal serialized, and keeps msal’s snapshot equal to it', async () => {
    const { persistence, plugin, cache } = setup();
    const acquire = vi.spyOn(MemoryLock.prototype, 'acquire');
    await writeThrough(plugin, cache, { token: 't1' });
    expect(acquire).toHaveBeenCalledTimes(1);
    acquire.mockRestore();
    const stored = new TextDecoder().decode((await persistence.load()) ?? undefined);
    expect(JSON.parse(stored)).toMatchObject({ token: 't1' });
    expect(cache.snapshot).toBe(stored);

    // Our own save must not count as a change: the next read loads nothing.
    const load = vi.spyOn(persistence, 'load');
    await plugin.beforeCacheAccess(read(cache));
    expect(load).not.toHaveBeenCalled();
  });

  it('reloads under the lock before a write when another writer changed the store', async () => {
    const { persistence, plugin, cache } = setup();
    await plugin.beforeCacheAccess(read(cache));
    await persistence.save(textToBytes('{"other":"x"}'));
    await writeThrough(plugin, cache, { mine: 'y' });
    const stored = JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined));
    expect(stored).toEqual({ other: 'x', mine: 'y' });
  });

  it('holds the lock from before to after, and releases it', async () => {
    const { lock, plugin, cache } = setup();
    const context = write(cache);
    await plugin.beforeCacheAccess(context);
    const blocked = await lock.acquire({ timeoutMs: 20 }).catch((e: unknown) => e);
    expect(isPersistenceError(blocked, 'LockTimeout')).toBe(true);
    await plugin.afterCacheAccess(context);
    const handle = await lock.acquire({ timeoutMs: 20 });
    await handle.release();
  });

  it('serializes concurrent writers of one process', async () => {
    const { persistence, plugin, cache } = setup();
    let inside = 0;
    let maxInside = 0;
    const save = persistence.save.bind(persistence);
    vi.spyOn(persistence, 'save').mockImplementation(async (data) => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inside--;
      return save(data);
    });
    await Promise.all(Array.from({ length: 5 }, (_, i) => writeThrough(plugin, cache, { [`k${i}`]: i })));
    expect(maxInside).toBe(1);
    const stored = JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined));
    expect(stored).toMatchObject({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });
  });

  it('never saves when beforeCacheAccess failed (msal still calls afterCacheAccess)', async () => {
    const memoryLock = new MemoryLock();
    let failNext = true;
    const flakyLock: Lock = {
      acquire: async (options) => {
        if (failNext) {
          failNext = false;
          throw new PersistenceError('LockTimeout', 'busy', { backend: 'test-lock' });
        }
        return memoryLock.acquire(options);
      },
    };
    const { persistence, plugin, cache } = setup({ lock: flakyLock });
    const save = vi.spyOn(persistence, 'save');
    const context = write(cache);
    await expect(plugin.beforeCacheAccess(context)).rejects.toMatchObject({ code: 'LockTimeout' });
    await plugin.afterCacheAccess(context);
    expect(save).not.toHaveBeenCalled();
    // The same plugin's in-process queue was released too: its next write goes through.
    await writeThrough(plugin, cache, { a: 1 });
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('serves several msal applications: each loads what it has not seen, none erases the other', async () => {
    const { persistence, plugin } = setup();
    const one = new ScriptedTokenCache();
    const two = new ScriptedTokenCache();
    await writeThrough(plugin, one, { fromOne: 1 });
    await plugin.beforeCacheAccess(read(two));
    expect(two.state).toMatchObject({ fromOne: 1 });
    await writeThrough(plugin, two, { fromTwo: 2 });
    expect(JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined))).toMatchObject({
      fromOne: 1,
      fromTwo: 2,
    });
  });

  it('never logs the unreadable content itself (parser messages quote it)', async () => {
    const { persistence, plugin, cache, warnings } = setup();
    // V8's message for this input quotes it: Unexpected token 'e', "{"k": eyJ0eXAiOiJKV1Qi}" is not valid JSON
    await persistence.save(textToBytes('{"k": eyJ0eXAiOiJKV1Qi}'));
    await plugin.beforeCacheAccess(read(cache));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('eyJ0eXAi');
    expect(warnings[0]).toContain('SyntaxError');
  });

  describe('a failed save', () => {
    async function failingSave(onSaveError?: 'throw' | 'warn') {
      const released: string[] = [];
      const lock: Lock = {
        acquire: async (): Promise<LockHandle> => ({ release: async () => void released.push('released') }),
      };
      const env = setup({ lock, ...(onSaveError ? { onSaveError } : {}) });
      await env.persistence.save(textToBytes('{"old":1}'));
      vi.spyOn(env.persistence, 'save').mockRejectedValue(
        Object.assign(new Error('ENOSPC: no space'), { code: 'ENOSPC' }),
      );
      const context = write(env.cache);
      await env.plugin.beforeCacheAccess(context);
      env.cache.state.fresh = 'token';
      const outcome = await env.plugin.afterCacheAccess(context).then(
        () => 'resolved',
        (e: unknown) => e,
      );
      return { ...env, outcome, released };
    }

    it('rejects the token call with a typed error by default, releases the lock, keeps the tokens in memory', async () => {
      const { outcome, released, cache, persistence, errors } = await failingSave();
      expect(isPersistenceError(outcome, 'Io')).toBe(true);
      expect((outcome as PersistenceError).cause).toBeInstanceOf(Error);
      expect(released).toEqual(['released']);
      expect(JSON.parse(cache.snapshot)).toEqual({ old: 1, fresh: 'token' });
      expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe('{"old":1}');
      expect(errors).toHaveLength(1);
    });

    it("only logs with onSaveError: 'warn'", async () => {
      const { outcome, released, errors } = await failingSave('warn');
      expect(outcome).toBe('resolved');
      expect(released).toEqual(['released']);
      expect(errors[0]).toContain('memory');
    });
  });

  describe('unreadable content', () => {
    const bad: Array<[string, Uint8Array]> = [
      ['garbage', textToBytes('%%% not json')],
      ['truncated JSON', textToBytes('{"Account":{"a":')],
      ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
      ['a JSON array', textToBytes('[1,2]')],
    ];
    for (const [label, bytes] of bad) {
      it(`${label}: empty cache, one warning, bad bytes kept aside at the next save`, async () => {
        const { persistence, plugin, cache, warnings } = setup();
        await persistence.save(bytes);
        await plugin.beforeCacheAccess(read(cache));
        await plugin.beforeCacheAccess(read(cache));
        expect(cache.state).toEqual({ Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {} });
        expect(warnings).toHaveLength(1);
        expect(plugin.stats.corruptLoads).toBe(1);
        expect(persistence.keptAside).toHaveLength(0);

        await writeThrough(plugin, cache, { token: 'new' });
        expect(persistence.keptAside).toEqual([bytes]);
        expect(JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined))).toMatchObject({
          token: 'new',
        });
      });
    }

    it('treats a Corrupt error from load (failed decryption) like bad bytes', async () => {
      const { persistence, plugin, cache, warnings } = setup();
      await persistence.save(textToBytes('ciphertext'));
      vi.spyOn(persistence, 'load').mockRejectedValueOnce(
        new PersistenceError('Corrupt', 'cannot decrypt', { backend: persistence.name }),
      );
      await plugin.beforeCacheAccess(read(cache));
      expect(warnings[0]).toContain('cannot decrypt');
      await writeThrough(plugin, cache, { token: 'new' });
      expect(persistence.keptAside).toHaveLength(1);
    });

    it('does not keep aside content another writer replaced meanwhile', async () => {
      const { persistence, plugin, cache } = setup();
      await persistence.save(textToBytes('garbage'));
      await plugin.beforeCacheAccess(read(cache));
      await persistence.save(textToBytes('{"good":1}'));
      await writeThrough(plugin, cache, { token: 'new' });
      expect(persistence.keptAside).toHaveLength(0);
      expect(JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined))).toEqual({
        good: 1,
        token: 'new',
      });
    });
  });

  it('rejects with a typed error when the store cannot be read at all', async () => {
    const { persistence, plugin, cache } = setup();
    await persistence.save(textToBytes('{}'));
    vi.spyOn(persistence, 'load').mockRejectedValue(new PersistenceError('AccessDenied', 'denied', { backend: 'x' }));
    await expect(plugin.beforeCacheAccess(read(cache))).rejects.toMatchObject({ code: 'AccessDenied' });
    vi.spyOn(persistence, 'load').mockRejectedValue(new Error('weird'));
    await expect(plugin.beforeCacheAccess(read(cache))).rejects.toMatchObject({
      code: 'Io',
      backend: persistence.name,
    });
  });
});
