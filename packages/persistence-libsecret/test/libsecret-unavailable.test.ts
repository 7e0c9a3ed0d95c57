import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LibsecretPersistence } from '../src/index.js';
import { secretServiceRequired } from './secret-service.js';

const run = promisify(execFile);
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const child = join(packageDir, 'test', 'fixtures', 'load-once.ts');
const dir = mkdtempSync(join(tmpdir(), 'msal-persist-libsecret-na-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildResult {
  ok: boolean;
  name?: string;
  code?: string;
  message?: string;
}

async function inChild(env: NodeJS.ProcessEnv, action: 'load' | 'save' = 'load'): Promise<ChildResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--conditions=dev-source', child, join(dir, `${action}.signal`), action],
    { cwd: packageDir, env, timeout: 20_000 },
  );
  return JSON.parse(stdout) as ChildResult;
}

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

async function hasCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.platform === 'linux')(
  'LibsecretPersistence without a reachable Secret Service (real processes)',
  () => {
    it('fails with NotAvailable when DBUS_SESSION_BUS_ADDRESS points to no socket', async () => {
      const result = await inChild({
        ...process.env,
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}`,
      });
      expect(result).toMatchObject({ ok: false, name: 'PersistenceError', code: 'NotAvailable' });
      expect(result.message).toContain('No D-Bus session bus is reachable');
    });

    it('fails with NotAvailable when no session bus is configured at all', async () => {
      const result = await inChild(envWithout('DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY'), 'save');
      expect(result).toMatchObject({ ok: false, name: 'PersistenceError', code: 'NotAvailable' });
    });
  },
);

const tools = ['dbus-run-session', 'gnome-keyring-daemon', 'gdbus'];
const haveTools = process.platform === 'linux' && (await Promise.all(tools.map(hasCommand))).every(Boolean);

describe.runIf(haveTools || (process.platform === 'linux' && secretServiceRequired))(
  'LibsecretPersistence on a locked collection (a private bus and keyring)',
  () => {
    it('fails with StoreLocked when the login collection is locked and no prompt can be shown', async () => {
      const home = mkdtempSync(join(dir, 'home-'));
      const script = [
        'set -e',
        'export XDG_DATA_HOME="$HOME/.local/share" XDG_RUNTIME_DIR="$HOME/runtime"',
        'mkdir -p "$XDG_DATA_HOME/keyrings" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"',
        'eval "$(printf %s pw | gnome-keyring-daemon --daemonize --unlock --components=secrets 2>/dev/null)"',
        // Create the item first, so the lock hides an existing secret.
        '"$NODE" --import tsx --conditions=dev-source "$CHILD" "$SIGNAL" save >/dev/null',
        'gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets ' +
          '--method org.freedesktop.Secret.Service.Lock "[\'/org/freedesktop/secrets/collection/login\']" >/dev/null',
        '"$NODE" --import tsx --conditions=dev-source "$CHILD" "$SIGNAL" save',
      ].join('\n');
      const env = {
        ...envWithout(
          'DISPLAY',
          'WAYLAND_DISPLAY',
          'DBUS_SESSION_BUS_ADDRESS',
          'XDG_RUNTIME_DIR',
          'GNOME_KEYRING_CONTROL',
        ),
        HOME: home,
        NODE: process.execPath,
        CHILD: child,
        SIGNAL: join(home, 'locked.signal'),
      };
      const { stdout } = await run('dbus-run-session', ['--', 'bash', '-c', script], {
        cwd: packageDir,
        env,
        timeout: 25_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
      expect(result).toMatchObject({ ok: false, name: 'PersistenceError', code: 'StoreLocked' });
    });
  },
);

describe.runIf(process.platform !== 'linux')('LibsecretPersistence off Linux', () => {
  it('imports fine and fails with NotAvailable, naming the right backend', async () => {
    const persistence = new LibsecretPersistence({ signalPath: join(dir, 'x.signal'), service: 'msal-persist-test' });
    await expect(persistence.load()).rejects.toMatchObject({
      code: 'NotAvailable',
      message: expect.stringContaining('persistence-keychain on macOS'),
    });
  });
});
