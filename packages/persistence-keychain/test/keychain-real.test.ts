import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Persistence } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { findCredentialsAsync } from '@napi-rs/keyring';
import { afterAll, describe } from 'vitest';
import { KeychainPersistence } from '../src/index.js';

// The real login keychain: runs on the macOS CI runners only.
describe.runIf(process.platform === 'darwin')('KeychainPersistence on the real login keychain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msal-persist-keychain-real-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  const services = new WeakMap<Persistence, string>();
  const make = (service = `msal-persist-test-${process.pid}-${++count}`, path = join(dir, `${service}.signal`)) => {
    const persistence = new KeychainPersistence({ signalPath: path, service });
    services.set(persistence, service);
    return persistence;
  };

  persistenceContract('KeychainPersistence (real keychain)', () => make(), {
    isEncrypted: true,
    reopen: (one) => {
      const service = services.get(one) ?? '';
      return make(service, join(dir, `${service}.signal`));
    },
    cleanup: async (one) => {
      const service = services.get(one);
      if (!service) return;
      const accounts = new Set(['MSALCache']);
      // Finds the kept-aside accounts too; it decodes passwords as text, so tolerate a failure.
      for (const { account } of await findCredentialsAsync(service).catch(() => [])) accounts.add(account);
      for (const account of accounts) {
        await new KeychainPersistence({ signalPath: join(dir, 'cleanup.signal'), service, account }).delete();
      }
    },
  });
});
