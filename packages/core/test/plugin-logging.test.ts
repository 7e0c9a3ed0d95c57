import { describe, expect, it } from 'vitest';
import {
  type LoggerOptions,
  MemoryLock,
  MemoryPersistence,
  type Persistence,
  PersistenceCachePlugin,
  resolveLogger,
} from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';
import { BO, publicApp, SCOPES, signIn } from './support/msal-apps.js';
import { expectNoLeaks, RecordingLogger } from './support/recording-logger.js';

/** A MemoryPersistence that counts reads of its `name`, which every debug line starts with. */
class NamedPersistence implements Persistence {
  nameReads = 0;
  readonly isEncrypted = false;
  private readonly inner = new MemoryPersistence();
  get name(): string {
    this.nameReads++;
    return this.inner.name;
  }
  load() {
    return this.inner.load();
  }
  save(data: Uint8Array) {
    return this.inner.save(data);
  }
  delete() {
    return this.inner.delete();
  }
  stamp() {
    return this.inner.stamp();
  }
}

/** Every secret a signed-in cache holds: the `secret` of each credential (access, refresh and id tokens). */
async function secretsOf(persistence: Persistence): Promise<string[]> {
  const stored = JSON.parse(new TextDecoder().decode((await persistence.load()) ?? new Uint8Array())) as Record<
    string,
    Record<string, { secret?: string }>
  >;
  return Object.values(stored).flatMap((section) =>
    Object.values(section).flatMap((entry) => (entry.secret ? [entry.secret] : [])),
  );
}

describe('logging', () => {
  it("msal's LoggerOptions at Verbose get the debug lines (lock wait, save, reload, skipped reload) and never a token", async () => {
    const lines: Array<[number, string, boolean]> = [];
    const logger: LoggerOptions = {
      loggerCallback: (level, message, containsPii) => lines.push([level, message, containsPii]),
      logLevel: 3,
      piiLoggingEnabled: true,
    };
    const persistence = new MemoryPersistence();
    const lock = new MemoryLock();
    const app = publicApp(new FakeTokenEndpoint(), new PersistenceCachePlugin({ persistence, lock, logger }));
    const other = publicApp(
      new FakeTokenEndpoint({ user: BO }),
      new PersistenceCachePlugin({ persistence, lock, logger: {} }),
    );
    const { account, accessToken } = await signIn(app);
    await app.acquireTokenSilent({ scopes: SCOPES, account });
    await signIn(other);
    await app.getTokenCache().getAllAccounts();
    await app.getTokenCache().removeAccount(account);

    const debug = lines.filter(([level]) => level === 3).map(([, message]) => message);
    expect(debug).toContainEqual(expect.stringMatching(/^memory:\d+: lock taken after waiting \d+\.\d ms\.$/));
    expect(debug).toContainEqual(expect.stringMatching(/: saved \d+ bytes in \d+\.\d ms\.$/));
    expect(debug).toContainEqual(expect.stringMatching(/: unchanged, reload skipped \(read\)\.$/));
    expect(debug).toContainEqual(expect.stringMatching(/: changed, reloaded \d+ bytes in \d+\.\d ms \(read\)\.$/));
    expect(lines.every(([, , containsPii]) => containsPii === false)).toBe(true);
    expectNoLeaks(
      { errors: lines.map(([, message]) => message) },
      [accessToken, ...(await secretsOf(persistence))].filter((secret) => secret.length > 16),
    );
  });

  it('without a debug sink, silent calls build no debug line at all', async () => {
    const persistence = new NamedPersistence();
    const infoOnly: LoggerOptions = { loggerCallback: () => {}, logLevel: 2 };
    for (const logger of [infoOnly, {}, new RecordingLogger()]) {
      const app = publicApp(
        new FakeTokenEndpoint(),
        new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger }),
      );
      const { account } = await signIn(app);
      persistence.nameReads = 0;
      for (let i = 0; i < 20; i++) await app.acquireTokenSilent({ scopes: SCOPES, account });
      // Every debug line starts with the backend's name: reading it is building a line.
      if (logger instanceof RecordingLogger) expect(persistence.nameReads).toBeGreaterThanOrEqual(20);
      else expect(persistence.nameReads).toBe(0);
    }
  });

  it('resolveLogger: a Logger as it is; LoggerOptions honour logLevel; no callback means the console', () => {
    const seen: Array<[number, string]> = [];
    const logger = resolveLogger({ loggerCallback: (level, message) => seen.push([level, message]), logLevel: 1 });
    logger.error?.('e');
    logger.warn?.('w');
    expect(logger.info).toBeUndefined();
    expect(logger.debug).toBeUndefined();
    expect(seen).toEqual([
      [0, 'e'],
      [1, 'w'],
    ]);
    const mine = new RecordingLogger();
    expect(resolveLogger(mine)).toBe(mine);
    expect(resolveLogger({ logLevel: 3 }).warn).toBeTypeOf('function');
    expect(resolveLogger({}).warn).toBeUndefined();
  });
});
