import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Persistence } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { findCredentialsAsync } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeychainPersistence } from '../src/index.js';

// The real login keychain: runs on the macOS CI runners only.
describe.runIf(process.platform === 'darwin')('KeychainPersistence on the real login keychain', () => {
  // Made in beforeAll: a skipped describe still runs its body, and would leave the folder behind.
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'msal-persist-keychain-real-'));
  });
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

// The format the other MSAL extensions use (msal-node-extensions through keytar, Python, .NET): a
// generic password of service + account whose password is the cache's UTF-8 JSON. `security` is
// macOS's own keychain tool, an independent reader and writer of that format.
describe.runIf(process.platform === 'darwin')('the keychain item other MSAL extensions read and write', () => {
  const json = '{"AccessToken":{},"Account":{"k":{"username":"zoe@example.com"}}}';
  let dir = '';
  const service = `msal-persist-format-${process.pid}`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'msal-persist-keychain-format-'));
  });
  afterAll(() => {
    for (const account of ['written-by-security', 'written-by-us']) {
      try {
        execFileSync('security', ['delete-generic-password', '-s', service, '-a', account], { stdio: 'ignore' });
      } catch {
        // Not there.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a generic password written by `security` as the cache bytes', async () => {
    execFileSync('security', ['add-generic-password', '-U', '-s', service, '-a', 'written-by-security', '-w', json]);
    const persistence = new KeychainPersistence({
      signalPath: join(dir, 'a.signal'),
      service,
      account: 'written-by-security',
    });
    expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe(json);
  });

  it('writes a generic password that `security` reads back as the same UTF-8 JSON', async () => {
    const persistence = new KeychainPersistence({
      signalPath: join(dir, 'b.signal'),
      service,
      account: 'written-by-us',
    });
    await persistence.save(new TextEncoder().encode(json));
    const read = execFileSync('security', ['find-generic-password', '-s', service, '-a', 'written-by-us', '-w'], {
      encoding: 'utf8',
    });
    expect(read.trim()).toBe(json);
  });
});
