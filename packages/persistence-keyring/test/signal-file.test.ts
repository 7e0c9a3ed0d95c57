import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistenceError } from '@msal-persist/core';
import { ChangeSignal } from '@msal-persist/persistence-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringPersistence } from '../src/index.js';
import { MemorySecretStore } from '../src/testing/index.js';

// The change signal on a real file system, where users put unexpected things.
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'msal-persist-keyring-signal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function make(signalPath: string) {
  const store = new MemorySecretStore();
  const persistence = new KeyringPersistence({
    name: 'test:svc/acct',
    account: 'acct',
    store,
    signal: new ChangeSignal(signalPath),
    mapError: (error, { backend }) => new PersistenceError('Io', 'mapped', { backend, cause: error }),
    storeLabel: 'the test store',
  });
  return { persistence, store };
}

describe('KeyringPersistence and its change signal file', () => {
  it('a directory where the signal file should be is moved aside, as the file backend does, and the save succeeds', async () => {
    const signalPath = join(dir, 'msal.cache');
    mkdirSync(join(signalPath, 'inner'), { recursive: true });
    const { persistence, store } = make(signalPath);
    const stamp = await persistence.save(new TextEncoder().encode('{"a":1}'));
    expect(store.secrets.has('acct')).toBe(true);
    expect(statSync(signalPath).isFile()).toBe(true);
    expect(persistence.stamp()).toBe(stamp);
    const aside = readdirSync(dir).filter((name) => name.startsWith('msal.cache.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(existsSync(join(dir, aside[0] ?? '', 'inner'))).toBe(true);
  });

  it('a signal file that cannot be written: the error names its real path and says the cache itself was saved', async () => {
    writeFileSync(join(dir, 'not-a-folder'), '');
    const signalPath = join(dir, 'not-a-folder', 'msal.cache');
    const { persistence, store } = make(signalPath);
    const error = await persistence.save(new TextEncoder().encode('{"a":1}')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistenceError);
    const message = (error as Error).message;
    expect(message).toContain(`change signal file ${signalPath}`);
    expect(message).toContain('The token cache was saved in the test store');
    expect(message).not.toMatch(/\.tmp\b/);
    expect(store.secrets.has('acct')).toBe(true);
  });
});
