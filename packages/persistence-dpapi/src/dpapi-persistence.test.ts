import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPersistenceError, type Persistence } from '@msal-persist/core';
import { persistenceContract } from '@msal-persist/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDpapiNative } from '../test/fake-dpapi-native.js';
import { DpapiPersistence } from './dpapi-persistence.js';

const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpapi-persistence-'));
  dirs.push(dir);
  return join(dir, 'msal.cache');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const text = (value: string) => new TextEncoder().encode(value);
const SECRET = 'rt-secret-value-do-not-store-in-clear';
const json = `{"RefreshToken":{"rt":{"secret":"${SECRET}"}}}`;

persistenceContract(
  'DpapiPersistence (fake DPAPI seam)',
  () => new DpapiPersistence(tempPath(), { native: new FakeDpapiNative() }),
  {
    reopen: (p) => new DpapiPersistence((p as DpapiPersistence).path, { native: new FakeDpapiNative() }),
    isEncrypted: true,
  },
);

persistenceContract(
  'DpapiPersistence (fake DPAPI seam, LocalMachine scope with entropy)',
  () => new DpapiPersistence(tempPath(), { native: new FakeDpapiNative(), scope: 'LocalMachine', entropy: 'e' }),
  {
    reopen: (p) =>
      new DpapiPersistence((p as DpapiPersistence).path, { native: new FakeDpapiNative('bob'), entropy: 'e' }),
    isEncrypted: true,
  },
);

describe('DpapiPersistence', () => {
  it('is named dpapi:<path> and encrypted', () => {
    const path = tempPath();
    const persistence = new DpapiPersistence(path, { native: new FakeDpapiNative() });
    expect(persistence.name).toBe(`dpapi:${path}`);
    expect(persistence.isEncrypted).toBe(true);
    expect(persistence.scope).toBe('CurrentUser');
    expect(new DpapiPersistence(path, { native: new FakeDpapiNative(), name: 'mine' }).name).toBe('mine');
  });

  it('stores the raw DPAPI blob on disk, never the plaintext', async () => {
    const path = tempPath();
    const native = new FakeDpapiNative();
    const persistence = new DpapiPersistence(path, { native });
    await persistence.save(text(json));
    await persistence.save(text(json));
    const onDisk = readFileSync(path);
    expect(onDisk.includes(SECRET)).toBe(false);
    // The file is exactly what CryptProtectData returned: no header of ours, so other MSAL extensions read it.
    expect(new TextDecoder().decode(native.unprotect(new Uint8Array(onDisk), undefined, 'CurrentUser'))).toBe(json);
    for (const name of readdirSync(join(path, '..')))
      expect(readFileSync(join(path, '..', name)).includes(SECRET)).toBe(false);
  });

  it('reads a 0-byte file as an empty cache without calling DPAPI, and writes an empty cache as 0 bytes', async () => {
    const path = tempPath();
    writeFileSync(path, '');
    const native = new FakeDpapiNative();
    const persistence = new DpapiPersistence(path, { native });
    expect((await persistence.load())?.byteLength).toBe(0);
    await persistence.save(new Uint8Array(0));
    expect(readFileSync(path).byteLength).toBe(0);
    expect(native.calls).toEqual({ protect: 0, unprotect: 0 });
  });

  it('reports a file written by another Windows user as Corrupt, saying so, with the cause', async () => {
    const path = tempPath();
    await new DpapiPersistence(path, { native: new FakeDpapiNative('bob') }).save(text(json));
    const error = await new DpapiPersistence(path, { native: new FakeDpapiNative('ada') }).load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect((error as Error).message).toContain(`[dpapi:${path}]`);
    expect((error as Error).message).toMatch(/another Windows user/);
    expect((error as Error).cause).toBeDefined();
  });

  it('reports a tampered file and a wrong entropy as Corrupt', async () => {
    const path = tempPath();
    const persistence = new DpapiPersistence(path, { native: new FakeDpapiNative(), entropy: 'app' });
    await persistence.save(text(json));
    const wrongEntropy = new DpapiPersistence(path, { native: new FakeDpapiNative(), entropy: 'other' });
    expect(isPersistenceError(await wrongEntropy.load().catch((e: unknown) => e), 'Corrupt')).toBe(true);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);
    expect(isPersistenceError(await persistence.load().catch((e: unknown) => e), 'Corrupt')).toBe(true);
  });

  it('keeps the unreadable file aside, byte for byte', async () => {
    const path = tempPath();
    await new DpapiPersistence(path, { native: new FakeDpapiNative('bob') }).save(text(json));
    const before = readFileSync(path);
    const persistence: Persistence = new DpapiPersistence(path, { native: new FakeDpapiNative('ada') });
    const where = await persistence.keepAside?.();
    expect(where).toMatch(/msal\.cache\.corrupt-/);
    expect(readFileSync(where ?? '')).toEqual(before);
    expect(await persistence.load()).toBeNull();
  });

  describe.runIf(process.platform !== 'win32')('with the real seam off Windows', () => {
    it('load and save reject with NotAvailable, and the file stays in place', async () => {
      const path = tempPath();
      writeFileSync(path, 'some DPAPI blob written on Windows');
      const persistence = new DpapiPersistence(path);
      const loaded = await persistence.load().catch((e: unknown) => e);
      expect(isPersistenceError(loaded, 'NotAvailable')).toBe(true);
      expect((loaded as Error).message).toMatch(/DPAPI is Windows-only/);
      expect((loaded as Error).message).toContain(`[dpapi:${path}]`);
      const saved = await persistence.save(text('{}')).catch((e: unknown) => e);
      expect(isPersistenceError(saved, 'NotAvailable')).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('some DPAPI blob written on Windows');
    });
  });
});
