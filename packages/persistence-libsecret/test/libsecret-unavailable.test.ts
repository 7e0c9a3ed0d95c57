import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { busWithoutSecretService, LOCK_LOGIN_COLLECTION } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { KoffiLibsecretNative, LibsecretPersistence } from '../src/index.js';
import { skippedNotice } from '../src/testing/index.js';
import { envWithout, inChild, withPrivateSecretService } from './private-secret-service.js';
import { mode } from './real-secret-service.js';

const dir = mkdtempSync(join(tmpdir(), 'msal-persist-libsecret-na-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const linux = process.platform === 'linux';
skippedNotice(mode, 'persistence-libsecret without a usable Secret Service: bus without one, locked, frozen');

describe.runIf(linux)('LibsecretPersistence where no session bus exists (real processes)', () => {
  it('fails with NotAvailable saying there is no session bus, without X11 autolaunch noise', async () => {
    const env = envWithout('DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY', 'WAYLAND_DISPLAY');
    for (const action of ['load', 'save']) {
      const result = await inChild(env, join(dir, `${action}.signal`), action);
      expect(result).toMatchObject({ ok: false, name: 'PersistenceError', code: 'NotAvailable' });
      expect(result.message).toContain('No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set');
      expect(result.message).not.toMatch(/autolaunch|X11/);
    }
  });

  it('names the missing package when libsecret-1.so.0 cannot be loaded', async () => {
    const native = new KoffiLibsecretNative({
      library: 'libsecret-not-installed.so.0',
      env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'bus')}` },
    });
    const persistence = new LibsecretPersistence({ signalPath: join(dir, 'lib.signal'), service: 'x', native });
    await expect(persistence.load()).rejects.toMatchObject({
      code: 'NotAvailable',
      message: expect.stringContaining('apt-get install libsecret-1-0'),
    });
  });
});

describe.runIf(mode.run)('LibsecretPersistence without a usable Secret Service (private buses and keyrings)', () => {
  it('fails with NotAvailable when DBUS_SESSION_BUS_ADDRESS points to no socket', async () => {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}` };
    const result = await inChild(env, join(dir, 'nobus.signal'), 'load');
    expect(result).toMatchObject({ ok: false, name: 'PersistenceError', code: 'NotAvailable' });
    expect(result.message).toContain('No D-Bus session bus is reachable');
  });

  it('fails with NotAvailable, "no Secret Service", on a bus where none runs or can be started', async () => {
    // A session bus whose only service folder is empty: nothing answers org.freedesktop.secrets.
    const [bus = '', ...busArgs] = busWithoutSecretService(dir);
    const { stdout } = await promisify(execFile)(
      bus,
      [
        ...busArgs,
        process.execPath,
        '--import',
        'tsx',
        '--conditions=dev-source',
        join(import.meta.dirname, 'fixtures', 'child.ts'),
        join(dir, 'nosvc.signal'),
        'save',
      ],
      { cwd: join(import.meta.dirname, '..'), env: envWithout('DBUS_SESSION_BUS_ADDRESS'), timeout: 30_000 },
    );
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ ok: false, code: 'NotAvailable' });
    expect(result.message).toContain('No Secret Service runs on the session bus');
  });

  it('fails with StoreLocked, reading and writing, when the collection is locked and no prompt can be shown', async () => {
    // The item exists before the lock, so "locked" must not read as "no cache".
    const [saved, read, write] = await withPrivateSecretService(dir, [
      'CHILD "$HOME/s" save',
      LOCK_LOGIN_COLLECTION,
      'CHILD "$HOME/s" load',
      'CHILD "$HOME/s" save',
    ]);
    expect(saved).toEqual({ ok: true });
    expect(read).toMatchObject({ ok: false, name: 'PersistenceError', code: 'StoreLocked' });
    expect(write).toMatchObject({ ok: false, name: 'PersistenceError', code: 'StoreLocked' });
  }, 90_000);

  it('fails with Timeout when the daemon is frozen, cancels the stuck D-Bus calls (in libsecret and on the bus socket), and works once it resumes', async () => {
    const [result = {}] = await withPrivateSecretService(dir, ['CHILD "$HOME/s" freeze']);
    expect(result.frozen).toMatchObject({ ok: false, code: 'Timeout' });
    expect(result.cancelled).toEqual({ domain: 'g-io-error-quark', code: 19 });
    expect(result.lookupAborted).toEqual({ name: 'TimeoutError' });
    expect(result.after).toBe('{"kept":true}');
  }, 90_000);
});

describe.runIf(!linux)('LibsecretPersistence off Linux', () => {
  it('imports fine and fails with NotAvailable, naming the right backend', async () => {
    const persistence = new LibsecretPersistence({ signalPath: join(dir, 'x.signal'), service: 'msal-persist-test' });
    await expect(persistence.load()).rejects.toMatchObject({
      code: 'NotAvailable',
      message: expect.stringContaining('persistence-keychain on macOS'),
    });
  });
});
