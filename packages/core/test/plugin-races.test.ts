import { describe, expect, it } from 'vitest';
import { MemoryLock, type Persistence, PersistenceCachePlugin, textToBytes } from '../src/index.js';
import { GatedPersistence } from './support/gated-persistence.js';
import { read, ScriptedTokenCache, storedText, write } from './support/scripted-token-cache.js';

// Issue 11.7: a read access on the same msal token cache must not replace msal's memory while a
// write of another call of this process is between msal's change and our save.
function setup() {
  const persistence = new GatedPersistence();
  const plugin = new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger: {} });
  return { persistence, plugin, cache: new ScriptedTokenCache() };
}

describe('reads racing a write of the same process', () => {
  it('a read whose load was in flight when a write started does not apply what it loaded', async () => {
    const { persistence, plugin, cache } = setup();
    await plugin.beforeCacheAccess(read(cache));
    await persistence.save(textToBytes('{"other":"process"}'));

    const gate = persistence.holdNextLoad();
    const reading = plugin.beforeCacheAccess(read(cache));
    await gate.reached;

    const context = write(cache);
    await plugin.beforeCacheAccess(context);
    cache.state.mine = 'new token';
    await plugin.afterCacheAccess(context);
    gate.open();
    await reading;

    expect(cache.state).toEqual({ other: 'process', mine: 'new token' });
    expect(cache.snapshot).toBe(await storedText(persistence));
  });

  it('a read during a write (between msal’s change and our save) does not replace msal’s memory', async () => {
    const { persistence, plugin, cache } = setup();
    await plugin.beforeCacheAccess(read(cache));
    const context = write(cache);
    await plugin.beforeCacheAccess(context);
    cache.state.mine = 'new token';
    // A writer that does not take the lock moves the stamp while this process is writing.
    await persistence.save(textToBytes('{"lockless":"writer"}'));
    await plugin.beforeCacheAccess(read(cache));
    await plugin.afterCacheAccess(context);
    expect(JSON.parse(await storedText(persistence))).toMatchObject({ mine: 'new token' });
  });

  it('a read held up in the stamp check while a write starts does not load at all', async () => {
    const { persistence, plugin, cache } = setup();
    await plugin.beforeCacheAccess(read(cache));
    await persistence.save(textToBytes('{"other":"process"}'));
    // An asynchronous stamp (Redis) that answers only when the test says so.
    let stampGate: (() => void) | undefined;
    const store: Persistence = persistence;
    const stamp = persistence.stamp.bind(persistence);
    store.stamp = () =>
      new Promise<string>((resolve) => {
        stampGate = () => resolve(stamp());
      });
    const reading = plugin.beforeCacheAccess(read(cache));
    store.stamp = stamp;

    const context = write(cache);
    await plugin.beforeCacheAccess(context);
    cache.state.mine = 'new token';
    await persistence.save(textToBytes('{"lockless":"writer"}'));
    stampGate?.();
    await reading;
    expect(cache.state).toEqual({ other: 'process', mine: 'new token' });
    await plugin.afterCacheAccess(context);
    // This write overwrites the lockless one (it never took the lock), but never loses its own change.
    expect(JSON.parse(await storedText(persistence))).toEqual({ other: 'process', mine: 'new token' });
  });
});
