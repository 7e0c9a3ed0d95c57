import { PersistenceError, type PersistenceErrorCode } from '@msal-persist/core';
import { errorText, type KeyringErrorContext, keyringErrorKind } from '@msal-persist/persistence-keyring';

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

const rules: ReadonlyArray<readonly [RegExp, PersistenceErrorCode, string]> = [
  [
    /autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to socket|Connection refused|NoServer|No DBus session|Could not connect/i,
    'NotAvailable',
    'No D-Bus session bus is reachable. Run inside a desktop session, or start one: ' +
      '`dbus-run-session -- sh -c "echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; YOUR_APP"`.',
  ],
  [
    /ServiceUnknown|not provided by any \.service files|Secret Service provider found|org\.freedesktop\.secrets/i,
    'NotAvailable',
    'No Secret Service is running on the session bus. Install and start GNOME Keyring or KWallet ' +
      '(`apt-get install gnome-keyring`), or use another backend.',
  ],
  [
    /no result found/i,
    'NotAvailable',
    'The Secret Service has no default collection (login keyring) to store into. Create or unlock one ' +
      '(log into a desktop session, or `echo -n PASSWORD | gnome-keyring-daemon --unlock`).',
  ],
  [
    /NoReply|did not receive a reply|timed? ?out/i,
    'Timeout',
    'The Secret Service did not answer in time. Check that gnome-keyring-daemon is healthy, or raise timeoutMs.',
  ],
  [
    /object locked|is locked/i,
    'StoreLocked',
    'The Secret Service collection is locked. Unlock the login keyring (log in to the desktop, or ' +
      '`echo -n PASSWORD | gnome-keyring-daemon --unlock`) and retry.',
  ],
  [
    /AccessDenied|Permission denied|not allowed/i,
    'AccessDenied',
    'The Secret Service refused access to the secret. Check the keyring daemon’s policy, or use another backend.',
  ],
];

/**
 * Maps an error from `@napi-rs/keyring`'s Secret Service store (keyring-rs's message, D-Bus
 * errors nested in it) to a `PersistenceError`: no bus or no service → `NotAvailable`, a locked
 * collection → `StoreLocked`, a dismissed unlock prompt → `AccessDenied`, no answer → `Timeout`.
 *
 * keyring-rs reports "unlock prompt was dismissed" both when the user dismissed it and when no
 * prompt could be shown (no display: SSH, CI). With no display this is a locked collection
 * (`StoreLocked`); with one, the user's decision (`AccessDenied`).
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
  const text = errorText(error);
  const options = { backend: context.backend, cause: error };
  if (/prompt was dismissed/i.test(text)) {
    return environment.hasDisplay
      ? new PersistenceError(
          'AccessDenied',
          `The keyring unlock prompt was dismissed, so the token cache could not be ${verb(context.action)}. ` +
            'Unlock the keyring when asked, or use another backend.',
          options,
        )
      : new PersistenceError(
          'StoreLocked',
          'The Secret Service collection is locked and no unlock prompt can be shown (no display). Unlock it first ' +
            '(`echo -n PASSWORD | gnome-keyring-daemon --unlock --replace`), or use another backend.',
          options,
        );
  }
  for (const [pattern, code, advice] of rules) {
    if (pattern.test(text)) return new PersistenceError(code, `${advice} (${text})`, options);
  }
  const kind = keyringErrorKind(error);
  const advice =
    kind === 'Ambiguous'
      ? 'Several Secret Service items match this service and account; remove the extra ones (e.g. with seahorse).'
      : `The Secret Service failed to ${context.action} the token cache; see the cause.`;
  return new PersistenceError('Io', `${advice} (${text})`, options);
}

function verb(action: KeyringErrorContext['action']): string {
  return action === 'read' ? 'read' : action === 'write' ? 'saved' : 'deleted';
}
