import { isPersistenceError, PersistenceError, type PersistenceErrorCode } from '@msal-persist/core';
import type { KeyringErrorContext } from '@msal-persist/persistence-keyring';
import { LibsecretCallError } from './libsecret-native.js';

/**
 * The environment {@link mapSecretServiceError} reads; injectable for tests.
 *
 * @example
 * ```ts
 * mapSecretServiceError(error, context, { hasDisplay: false });
 * ```
 */
export interface SecretServiceEnvironment {
  /** True when a graphical session exists, so an unlock prompt could really be shown to the user. */
  hasDisplay: boolean;
}

function currentEnvironment(): SecretServiceEnvironment {
  return { hasDisplay: Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) };
}

type Rule = readonly [domain: string, codes: readonly number[] | RegExp, code: PersistenceErrorCode, advice: string];

const NO_SERVICE =
  'No Secret Service runs on the session bus. Install and start one (GNOME Keyring: `apt-get install gnome-keyring`; or KWallet, KeePassXC), or use another backend.';

// GError domains and codes from GIO (GDBusError, GIOErrorEnum) and libsecret (SecretError).
const rules: readonly Rule[] = [
  [
    'g-io-error-quark',
    /Could not connect|Connection refused|No such file|Cannot autolaunch/i,
    'NotAvailable',
    'No D-Bus session bus is reachable at DBUS_SESSION_BUS_ADDRESS. Run inside a desktop session or `dbus-run-session`, or use another backend.',
  ],
  // SERVICE_UNKNOWN, NAME_HAS_NO_OWNER
  ['g-dbus-error-quark', [2, 3], 'NotAvailable', NO_SERVICE],
  [
    'g-dbus-error-quark',
    /Object does not exist at path .*collection|No such secret collection/i,
    'NotAvailable',
    'The Secret Service has no such collection (no login keyring yet, or a wrong `collection`). Log into a desktop session once, or unlock one: `printf %s PASSWORD | gnome-keyring-daemon --unlock --replace`.',
  ],
  // NO_REPLY, TIMEOUT, TIMED_OUT
  [
    'g-dbus-error-quark',
    [4, 12, 20],
    'Timeout',
    'The Secret Service did not answer. Check that the keyring daemon is healthy, or raise timeoutMs.',
  ],
  ['g-io-error-quark', [24], 'Timeout', 'The Secret Service did not answer in time; raise timeoutMs.'],
  ['g-io-error-quark', [19], 'Aborted', 'The Secret Service call was cancelled.'],
  // ACCESS_DENIED, AUTH_FAILED; PERMISSION_DENIED
  [
    'g-dbus-error-quark',
    [9, 10],
    'AccessDenied',
    'The session bus refused the call; check its policy, or use another backend.',
  ],
  [
    'g-io-error-quark',
    [14],
    'AccessDenied',
    'The session bus refused the call; check its policy, or use another backend.',
  ],
];

const SECRET_ERROR_IS_LOCKED = 2;

function lockedAdvice(environment: SecretServiceEnvironment): string {
  return environment.hasDisplay
    ? 'The keyring is locked and its unlock prompt was dismissed. Unlock the login keyring when asked, or use another backend.'
    : 'The keyring is locked and no unlock prompt can be shown here (no display). Unlock it first (`printf %s PASSWORD | gnome-keyring-daemon --unlock --replace`), or use another backend.';
}

function matches(error: LibsecretCallError, rule: Rule): boolean {
  const [domain, codes] = rule;
  if (error.domain !== domain) return false;
  return codes instanceof RegExp ? codes.test(error.message) : codes.includes(error.code);
}

/**
 * Maps what libsecret reported (a {@link LibsecretCallError} carrying its `GError`) to a
 * `PersistenceError`: no bus or no Secret Service → `NotAvailable`, a locked collection whose
 * unlock prompt was dismissed or could not be shown → `StoreLocked`, no answer → `Timeout`, a
 * refused call → `AccessDenied`, anything else → `Io`. The message says what to do, then the
 * cause in one clause; the original error is the `cause`.
 *
 * @example
 * ```ts
 * const error = mapSecretServiceError(err, { action: 'read', backend: 'libsecret:my-app/MSALCache' });
 * if (error.code === 'NotAvailable') fallBack();
 * ```
 */
export function mapSecretServiceError(
  error: unknown,
  context: KeyringErrorContext,
  environment: SecretServiceEnvironment = currentEnvironment(),
): PersistenceError {
  if (isPersistenceError(error)) return error;
  const options = { backend: context.backend, cause: error };
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof LibsecretCallError) {
    if (error.domain === 'secret-error' && error.code === SECRET_ERROR_IS_LOCKED) {
      return new PersistenceError('StoreLocked', `${lockedAdvice(environment)} (${detail})`, options);
    }
    const rule = rules.find((candidate) => matches(error, candidate));
    if (rule) return new PersistenceError(rule[2], `${rule[3]} (${detail})`, options);
  }
  return new PersistenceError(
    'Io',
    `The Secret Service failed to ${context.action} the token cache. (${detail})`,
    options,
  );
}
