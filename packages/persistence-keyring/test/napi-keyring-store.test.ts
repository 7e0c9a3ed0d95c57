import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { NapiKeyringStore } from '../src/index.js';

const base = {
  service: 'msal-persist-test',
  backend: 'test:msal-persist-test/acct',
  loadNative: () => import('@napi-rs/keyring'),
};

describe('NapiKeyringStore', () => {
  it('refuses a platform it is not made for with NotAvailable, naming the alternative', async () => {
    const store = new NapiKeyringStore({ ...base, platforms: ['aix'], wrongPlatformHint: 'Use the other one.' });
    const error = await store.get('acct').catch((e: unknown) => e);
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    expect((error as Error).message).toContain(`not on ${process.platform}. Use the other one.`);
  });

  it('wraps a failure to load @napi-rs/keyring as NotAvailable with the cause, and retries the import later', async () => {
    const cause = new Error('Cannot find module @napi-rs/keyring-linux-x64-gnu');
    let attempts = 0;
    const store = new NapiKeyringStore({
      ...base,
      platforms: [process.platform],
      loadNative: async () => {
        attempts++;
        throw cause;
      },
    });
    await expect(store.set('acct', new Uint8Array([1]))).rejects.toMatchObject({ code: 'NotAvailable', cause });
    await expect(store.delete('acct')).rejects.toMatchObject({ code: 'NotAvailable' });
    expect(attempts).toBe(2);
  });

  it('rejects a module without AsyncEntry as NotAvailable', async () => {
    const store = new NapiKeyringStore({ ...base, platforms: [process.platform], loadNative: async () => ({}) });
    await expect(store.get('acct')).rejects.toMatchObject({ code: 'NotAvailable' });
  });

  it('converts what the native entry returns to Uint8Array and reuses one entry per account', async () => {
    const created: string[] = [];
    const secrets = new Map<string, number[]>();
    class AsyncEntry {
      constructor(
        readonly service: string,
        readonly account: string,
      ) {
        created.push(`${service}/${account}`);
      }
      async setSecret(secret: Uint8Array) {
        secrets.set(this.account, [...secret]);
      }
      async getSecret() {
        return secrets.get(this.account) ?? null;
      }
      async deleteCredential() {
        return secrets.delete(this.account);
      }
    }
    const store = new NapiKeyringStore({
      ...base,
      platforms: [process.platform],
      loadNative: async () => ({ AsyncEntry }),
    });
    expect(await store.get('acct')).toBeNull();
    await store.set('acct', new Uint8Array([0, 255]));
    const loaded = await store.get('acct');
    expect(loaded).toBeInstanceOf(Uint8Array);
    expect(loaded).toEqual(new Uint8Array([0, 255]));
    expect(await store.delete('acct')).toBe(true);
    expect(await store.delete('acct')).toBe(false);
    expect(created).toEqual(['msal-persist-test/acct']);
  });
});
