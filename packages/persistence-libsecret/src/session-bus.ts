import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Why no D-Bus session bus can be reached, or `undefined` when one may be: GLib connects to
 * `DBUS_SESSION_BUS_ADDRESS`, else to `$XDG_RUNTIME_DIR/bus` (systemd's per-user bus). SSH
 * sessions without a desktop, containers, CI jobs and system services usually have neither.
 *
 * @example
 * ```ts
 * missingSessionBus({}); // 'No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set …'
 * ```
 */
export function missingSessionBus(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  if (env.XDG_RUNTIME_DIR && existsSync(join(env.XDG_RUNTIME_DIR, 'bus'))) return undefined;
  return (
    'No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus ' +
    '(SSH sessions, containers, CI jobs and services usually have none). Run inside a desktop session, or start ' +
    'a bus and a keyring: `dbus-run-session -- sh -c "printf %s PASSWORD | gnome-keyring-daemon --unlock --components=secrets; YOUR_APP"`.'
  );
}
