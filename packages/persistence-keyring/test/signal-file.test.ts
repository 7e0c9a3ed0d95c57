import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  it('a folder where the signal file should be is refused at creation, naming it', () => {
    const signalPath = join(dir, 'msal.cache');
    mkdirSync(signalPath);
    expect(() => make(signalPath)).toThrow(`signalPath ${signalPath} is a folder`);
  });

  it('a folder that appears there later is left alone; the error names it and says the secret was saved', async () => {
    const signalPath = join(dir, 'msal.cache');
    const { persistence, store } = make(signalPath);
    mkdirSync(join(signalPath, 'inner'), { recursive: true });
    const error = await persistence.save(new TextEncoder().encode('{"a":1}')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistenceError);
    const message = (error as Error).message;
    expect(message).toContain('The token cache was saved in the test store');
    expect(message).toContain(`${signalPath} is a directory`);
    expect(message).not.toMatch(/\.tmp\b/);
    expect(store.secrets.has('acct')).toBe(true);
    expect(existsSync(join(signalPath, 'inner'))).toBe(true);
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
