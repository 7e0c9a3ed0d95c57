import { describe, expect, it } from 'vitest';
import {
  isPersistenceError,
  MemoryLock,
  MemoryPersistence,
  PersistenceCachePlugin,
  textToBytes,
} from '../src/index.js';
import { expectNoLeaks, RecordingLogger } from './support/recording-logger.js';
import { read, ScriptedTokenCache, storedText, write } from './support/scripted-token-cache.js';

const TOKEN = '0.AXYA-a-stored-refresh-token-value-quoted-by-v8';

/** Throws like msal-node's serialize does on a shape it cannot merge: V8's message quotes the stored value. */
class BrittleTokenCache extends ScriptedTokenCache {
  failures = 1;
  override serialize(): string {
    if (this.failures > 0) {
      this.failures--;
      throw new TypeError(`Cannot create property 'home_account_id' on string '${TOKEN}'`);
    }
    return super.serialize();
  }
}

describe('msal-node failing to serialize (a shape the load check does not know)', () => {
  for (const onSaveError of ['throw', 'warn'] as const) {
    it(`${onSaveError}: a typed error without msal's message, the lock released, the content kept aside once`, async () => {
      const persistence = new MemoryPersistence();
      const lock = new MemoryLock();
      const logger = new RecordingLogger();
      const plugin = new PersistenceCachePlugin({ persistence, lock, logger, onSaveError });
      const seed = `{"stored":"${TOKEN}"}`;
      await persistence.save(textToBytes(seed));
      const cache = new BrittleTokenCache();
      await plugin.beforeCacheAccess(read(cache));

      const context = write(cache);
      await plugin.beforeCacheAccess(context);
      cache.state.fresh = 'change';
      const outcome = await plugin.afterCacheAccess(context).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      if (onSaveError === 'throw') expect(isPersistenceError(outcome, 'Corrupt')).toBe(true);
      else expect(outcome).toBe('resolved');
      expect(logger.at('error')).toHaveLength(1);
      expectNoLeaks({ logger, errors: [outcome] }, [seed, TOKEN]);
      await (await lock.acquire({ timeoutMs: 50 })).release();

      // The next write keeps the stored content aside and saves; it does not fail again.
      const next = write(cache);
      await plugin.beforeCacheAccess(next);
      cache.state.again = 'change';
      await plugin.afterCacheAccess(next);
      expect(persistence.keptAside.map((bytes) => new TextDecoder().decode(bytes))).toEqual([seed]);
      expect(JSON.parse(await storedText(persistence))).toMatchObject({ again: 'change' });
    });
  }
});
