import { isPersistenceError, MemoryLock, PersistenceError } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { KeyringPersistence, type KeyringPersistenceOptions, type SecretStore } from '../src/index.js';
import { keyringError, MemorySecretStore } from '../src/testing/index.js';
import { MemorySignal } from './memory-signal.js';

const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

const mapError: KeyringPersistenceOptions['mapError'] = (error, { action, backend }) =>
  new PersistenceError('Io', `mapped ${action}`, { backend, cause: error });

function make(overrides: Partial<KeyringPersistenceOptions> = {}) {
  const store = new MemorySecretStore();
  const signal = new MemorySignal();
  const persistence = new KeyringPersistence({
    name: 'test:svc/acct',
    account: 'acct',
    store,
    signal,
    mapError,
    ...overrides,
  });
  parts.set(persistence, { store, signal });
  return { persistence, store, signal };
}

const parts = new WeakMap<object, { store: MemorySecretStore; signal: MemorySignal }>();

persistenceContract('KeyringPersistence over MemorySecretStore', () => make().persistence, {
  isEncrypted: true,
  reopen: (one) => {
    const shared = parts.get(one);
    if (!shared) throw new Error('reopen: not made by this test');
    return new KeyringPersistence({ name: one.name, account: 'acct', ...shared, mapError });
  },
});

describe('KeyringPersistence', () => {
  it('checks the hold right before the secret is replaced, after the writes queued before it: a hold lost meanwhile writes nothing', async () => {
    const { persistence, store } = make({ timeoutMs: 200 });
    await persistence.save(text('{"a":1}'));
    const before = persistence.stamp();
    const handle = await new MemoryLock().acquire();
    store.hang('set');
    const first = persistence.save(text('{"a":2}')).catch((e: unknown) => e);
    const second = persistence.save(text('{"a":3}'), { lock: handle }).catch((e: unknown) => e);
    // Lost while the second save waits behind the first (here: released; in life: broken by another writer).
    await handle.release();
    expect(isPersistenceError(await first, 'Timeout')).toBe(true);
    store.hang(undefined);
    expect(isPersistenceError(await second, 'LockLost')).toBe(true);
    expect(decode(store.secrets.get('acct') ?? null)).toBe('{"a":1}');
    expect(persistence.stamp()).toBe(before);
  });

  it('stores the bytes under its account, and touches the signal only after the store accepted them', async () => {
    const { persistence, store, signal } = make();
    await persistence.save(text('{"a":1}'));
    expect(decode(store.secrets.get('acct') ?? null)).toBe('{"a":1}');
    const before = signal.stamp();
    store.failNext('set', keyringError('Platform failure: boom'));
    await expect(persistence.save(text('{"a":2}'))).rejects.toMatchObject({
      code: 'Io',
      message: expect.stringContaining('mapped write'),
    });
    expect(persistence.stamp()).toBe(before);
    expect(decode(await persistence.load())).toBe('{"a":1}');
  });

  it('maps store errors through mapError with the action and backend, keeping the cause', async () => {
    const { persistence, store } = make();
    const cause = keyringError("Couldn't access platform storage: Secret Service: object locked");
    store.failNext('get', cause);
    const error = await persistence.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistenceError);
    expect(error).toMatchObject({ code: 'Io', backend: 'test:svc/acct', cause });
    expect((error as Error).message).toContain('mapped read');
    store.failNext('delete', cause);
    await expect(persistence.delete()).rejects.toMatchObject({ message: expect.stringContaining('mapped delete') });
  });

  it('passes PersistenceErrors from the store through unchanged', async () => {
    const { persistence, store } = make();
    const typed = new PersistenceError('NotAvailable', 'no binary', { backend: 'x' });
    store.failNext('get', typed);
    await expect(persistence.load()).rejects.toBe(typed);
  });

  it('refuses a timeoutMs that is not a positive whole number of milliseconds, naming the option', () => {
    expect(() => make({ timeoutMs: -1 })).toThrow(
      new RangeError('timeoutMs must be an integer from 1 to 2147483647, got -1.'),
    );
    expect(() => make({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => make({ timeoutMs: Number.NaN })).toThrow(TypeError);
    expect(() => make({ timeoutMs: 2 ** 31 })).toThrow(RangeError);
  });

  it('fails a store call that does not answer with Timeout, and aborts it', async () => {
    const { persistence, store } = make({ timeoutMs: 50, storeLabel: 'The test store' });
    store.hang('get');
    const error = await persistence.load().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout', backend: 'test:svc/acct' });
    expect((error as Error).message).toMatch(/^\[test:svc\/acct\] The test store did not answer a read within 50 ms/);
    store.hang('set');
    await expect(persistence.save(text('x'))).rejects.toMatchObject({ code: 'Timeout' });
    store.hang(undefined);
    await persistence.save(text('after'));
    expect(decode(await persistence.load())).toBe('after');
  });

  it('a write that timed out but lands later is never overtaken, and moves the signal when it lands', async () => {
    // Like the native store: the call cannot be cancelled, it finishes when it finishes.
    const inner = new MemorySecretStore();
    let landLate: () => void = () => undefined;
    let slow = true;
    const store: SecretStore = {
      get: (account, options) => inner.get(account, options),
      delete: (account, options) => inner.delete(account, options),
      set: async (account, data, options) => {
        if (slow) {
          slow = false;
          await new Promise<void>((resolve) => {
            landLate = resolve;
          });
        }
        await inner.set(account, data, options);
      },
    };
    const { persistence, signal } = make({ store, timeoutMs: 30 });
    await expect(persistence.save(text('late'))).rejects.toMatchObject({ code: 'Timeout' });
    const stampAfterTimeout = persistence.stamp();
    let nextDone = false;
    const next = persistence.save(text('next')).then(() => {
      nextDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(nextDone).toBe(false);
    landLate();
    await next;
    // Stored order is the real order: the late write, then ours.
    expect(decode(await persistence.load())).toBe('next');
    expect(signal.stamp()).toBe('s2');
    expect(persistence.stamp()).not.toBe(stampAfterTimeout);
  });

  it('reports a signal file it cannot update as Io, naming the file', async () => {
    const { persistence, signal } = make();
    signal.failTouch = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    await expect(persistence.save(text('x'))).rejects.toMatchObject({
      code: 'Io',
      message: expect.stringContaining(signal.path),
      cause: signal.failTouch,
    });
  });

  it('keeps unreadable content aside under another account of the same store, never in a file', async () => {
    const { persistence, store } = make();
    await persistence.save(text('not json'));
    const where = await persistence.keepAside();
    expect(where).toMatch(/^test:svc\/acct, moved to account acct\.corrupt-\d{4}-\d\d-\d\dT/);
    const aside = [...store.secrets.keys()].filter((account) => account.startsWith('acct.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(decode(store.secrets.get(aside[0] ?? '') ?? null)).toBe('not json');
    expect(store.secrets.has('acct')).toBe(false);
  });

  it('leaves the original in place when keeping it aside fails', async () => {
    const { persistence, store } = make();
    await persistence.save(text('bad'));
    store.failNext('set', keyringError('Platform failure: disk full'));
    await expect(persistence.keepAside()).rejects.toMatchObject({ code: 'Io' });
    expect(decode(await persistence.load())).toBe('bad');
  });

  it('serialises its own writes: each save resolves with the stamp of its own write', async () => {
    const { persistence } = make();
    const stamps = await Promise.all([1, 2, 3, 4].map((n) => persistence.save(text(`v${n}`))));
    expect(new Set(stamps).size).toBe(4);
    expect(persistence.stamp()).toBe(stamps[3]);
    expect(decode(await persistence.load())).toBe('v4');
  });
});
