import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPersistenceError, type Persistence } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { keyringError, MemorySecretStore } from '@msal-persist/persistence-keyring/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { KeychainPersistence } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'msal-persist-keychain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;
const signalPath = () => join(dir, `cache-${++count}.signal`);
const stores = new WeakMap<Persistence, { store: MemorySecretStore; signalPath: string }>();

function withFakeStore(store = new MemorySecretStore(), path = signalPath()): KeychainPersistence {
  const persistence = new KeychainPersistence({
    signalPath: path,
    service: 'msal-persist-test',
    store,
    timeoutMs: 2_000,
  });
  stores.set(persistence, { store, signalPath: path });
  return persistence;
}

persistenceContract('KeychainPersistence over a fake keychain', () => withFakeStore(), {
  isEncrypted: true,
  reopen: (one) => {
    const shared = stores.get(one);
    if (!shared) throw new Error('reopen: not made by this test');
    return withFakeStore(shared.store, shared.signalPath);
  },
});

describe('KeychainPersistence error mapping (fake keychain reporting as keyring-rs does)', () => {
  it.each([
    ['Platform failure: User interaction is not allowed.', 'StoreLocked'],
    ['Platform failure: error code -25308', 'StoreLocked'],
    ['Platform failure: User canceled the operation.', 'AccessDenied'],
    ['Platform failure: The user name or passphrase you entered is not correct.', 'AccessDenied'],
    ['Platform failure: A required entitlement isn\u2019t present.', 'AccessDenied'],
    ["Couldn't access platform storage: The specified keychain could not be found.", 'NotAvailable'],
    ["Couldn't access platform storage: error code -25292", 'ReadOnly'],
    ["Couldn't access platform storage: something new", 'AccessDenied'],
    ['Platform failure: An unexpected failure', 'Io'],
  ])('%j → %s, for reads, writes and deletes', async (message, code) => {
    const store = new MemorySecretStore();
    const persistence = withFakeStore(store);
    for (const operation of ['get', 'set', 'delete'] as const) store.failNext(operation, keyringError(message));
    const failures = await Promise.all([
      persistence.load().catch((e: unknown) => e),
      persistence.save(new Uint8Array([1])).catch((e: unknown) => e),
      persistence.delete().catch((e: unknown) => e),
    ]);
    for (const error of failures) {
      expect(isPersistenceError(error, code as 'Io')).toBe(true);
      expect(error).toMatchObject({ backend: 'keychain:msal-persist-test/MSALCache', cause: { message } });
    }
  });

  it('fails with Timeout when the keychain does not answer (a prompt nobody sees)', async () => {
    const store = new MemorySecretStore();
    const persistence = new KeychainPersistence({ signalPath: signalPath(), service: 's', store, timeoutMs: 30 });
    store.hang('get');
    await expect(persistence.load()).rejects.toMatchObject({
      code: 'Timeout',
      message: expect.stringContaining('The keychain did not answer'),
    });
  });

  it('hands the store the UTF-8 JSON bytes unchanged, under the account it was given (fake store; the real keychain format is checked on macOS)', async () => {
    const store = new MemorySecretStore();
    const persistence = new KeychainPersistence({ signalPath: signalPath(), service: 'svc', account: 'acct', store });
    await persistence.save(new TextEncoder().encode('{"Account":{}}'));
    expect(new TextDecoder().decode(store.secrets.get('acct'))).toBe('{"Account":{}}');
    expect(persistence.name).toBe('keychain:svc/acct');
  });
});

describe.runIf(process.platform !== 'darwin')('KeychainPersistence off macOS', () => {
  it('imports fine and fails every operation with NotAvailable, naming the right backend', async () => {
    const persistence = new KeychainPersistence({ signalPath: signalPath(), service: 'msal-persist-test' });
    for (const call of [
      () => persistence.load(),
      () => persistence.save(new Uint8Array([1])),
      () => persistence.delete(),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
      expect((error as Error).message).toContain('persistence-libsecret on Linux');
    }
  });
});
