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
  const fallback = systemdBusSocket(env);
  if (fallback && existsSync(fallback)) return undefined;
  return (
    'No D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus ' +
    '(SSH sessions, containers, CI jobs and services usually have none). Run inside a desktop session, or start ' +
    'a bus and a keyring: `dbus-run-session -- sh -c "printf %s PASSWORD | gnome-keyring-daemon --unlock --components=secrets; YOUR_APP"`.'
  );
}

/** systemd's per-user bus, `$XDG_RUNTIME_DIR/bus`: where GLib connects without an address. */
function systemdBusSocket(env: NodeJS.ProcessEnv): string | undefined {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'bus') : undefined;
}

/**
 * The socket of the session bus, when its address is one this client speaks: the first entry of
 * `DBUS_SESSION_BUS_ADDRESS` (the bus GLib, and so libsecret, connects to) when it is
 * `unix:path=` or `unix:abstract=`; `$XDG_RUNTIME_DIR/bus` without an address; else `undefined`.
 */
export function sessionBusSocket(env: NodeJS.ProcessEnv): string | undefined {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (!address) return systemdBusSocket(env);
  const [transport, rest = ''] = (address.split(';')[0] ?? '').split(/:(.*)/s);
  if (transport !== 'unix') return undefined;
  const keys = new Map(
    rest.split(',').map((pair) => {
      const [key = '', value = ''] = pair.split(/=(.*)/s);
      return [key, unescapeValue(value)] as const;
    }),
  );
  const path = keys.get('path');
  if (path) return path;
  const abstract = keys.get('abstract');
  return abstract ? `\0${abstract}` : undefined;
}

/** D-Bus address values escape bytes as `%XX`; an invalid escape is taken as it is written. */
function unescapeValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
