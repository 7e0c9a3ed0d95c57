import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A command prefix that runs a command on a session bus of its own where nothing provides
 * `org.freedesktop.secrets` (its only service folder is empty, so D-Bus cannot start
 * gnome-keyring on demand): "a bus, but no Secret Service". `[...prefix, command, ...args]`.
 * Writes its configuration under `dir`.
 */
export function busWithoutSecretService(dir: string): string[] {
  const services = join(dir, 'no-services');
  mkdirSync(services, { recursive: true });
  const config = join(dir, 'session-without-secrets.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${dir}</listen><auth>EXTERNAL</auth><servicedir>${services}</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
  );
  return ['dbus-run-session', `--config-file=${config}`, '--'];
}

/** The command that locks GNOME Keyring's login collection (a session bus must be set). */
export const LOCK_LOGIN_COLLECTION =
  'gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.Lock "[\'/org/freedesktop/secrets/collection/login\']" >/dev/null';

/**
 * A command prefix that runs a command inside a D-Bus session and GNOME Keyring of its own (under
 * `dir`, unlocked with a throwaway password), so a test can lock it without touching the Secret
 * Service other tests use. With `locked`, the login collection is locked before the command runs,
 * as on a desktop whose keyring was locked and no prompt can be shown.
 * `{ prefix, env }`: run `[...prefix, command, ...args]` with `env` added to the environment.
 */
export function privateSecretService(
  dir: string,
  options: { locked?: boolean } = {},
): { prefix: string[]; env: Record<string, string> } {
  const home = mkdtempSync(join(dir, 'keyring-home-'));
  const script = [
    'set -e',
    'export XDG_DATA_HOME="$KEYRING_HOME/.local/share" XDG_RUNTIME_DIR="$KEYRING_HOME/runtime"',
    'mkdir -p "$XDG_DATA_HOME/keyrings" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"',
    'eval "$(printf %s pw | gnome-keyring-daemon --daemonize --unlock --components=secrets 2>/dev/null)"',
    'export GNOME_KEYRING_CONTROL',
    ...(options.locked ? [LOCK_LOGIN_COLLECTION] : []),
    'exec "$@"',
  ].join('\n');
  return {
    prefix: ['dbus-run-session', '--', 'bash', '-c', script, 'private-secret-service'],
    // No display: an unlock prompt cannot be shown, as over SSH.
    env: { KEYRING_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' },
  };
}

/** The folder libsecret-1.so.0 is loaded from on this machine's architecture (Debian layout). */
function libraryFolder(): string {
  return process.arch === 'arm64' ? '/usr/lib/aarch64-linux-gnu' : '/usr/lib/x86_64-linux-gnu';
}

/**
 * A command prefix under which `libsecret-1.so.0` cannot be loaded, as on a machine without the
 * `libsecret-1-0` package: a private mount namespace with an empty file over the library. Needs
 * root (`unshare -m`); `undefined` when this process is not root.
 */
export function withoutLibsecret(): string[] | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const library = join(libraryFolder(), 'libsecret-1.so.0');
  return ['unshare', '-m', 'sh', '-c', `mount --bind /dev/null ${library} && exec "$@"`, 'without-libsecret'];
}
