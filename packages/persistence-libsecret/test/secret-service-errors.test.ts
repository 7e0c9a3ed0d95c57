import { isPersistenceError, PersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { LibsecretCallError, type LibsecretNative, LibsecretPersistence, mapSecretServiceError } from '../src/index.js';

const context = { action: 'read', backend: 'libsecret:svc/MSALCache' } as const;
const headless = { hasDisplay: false };

describe('mapSecretServiceError (GErrors as libsecret reported them on a real bus)', () => {
  it.each([
    [
      'g-io-error-quark',
      1,
      'Could not connect: No such file or directory',
      'NotAvailable',
      'No D-Bus session bus is reachable',
    ],
    [
      'g-dbus-error-quark',
      2,
      'The name org.freedesktop.secrets was not provided by any .service files',
      'NotAvailable',
      'No Secret Service runs',
    ],
    [
      'g-dbus-error-quark',
      19,
      'Object does not exist at path “/org/freedesktop/secrets/collection/login”',
      'NotAvailable',
      'no such collection',
    ],
    ['secret-error', 2, 'Cannot create an item in a locked collection', 'StoreLocked', 'no unlock prompt can be shown'],
    ['secret-error', 2, 'the item is in a locked collection and was not unlocked', 'StoreLocked', 'locked'],
    ['g-dbus-error-quark', 4, 'Did not receive a reply', 'Timeout', 'did not answer'],
    ['g-io-error-quark', 24, 'Timeout was reached', 'Timeout', 'did not answer'],
    ['g-io-error-quark', 19, 'Operation was cancelled', 'Aborted', 'cancelled'],
    ['g-dbus-error-quark', 9, 'Rejected send message', 'AccessDenied', 'refused'],
    ['g-dbus-error-quark', 16, 'Invalid arguments', 'Io', 'failed to read'],
  ] as const)('%s %i %j → %s (headless)', (domain, code, message, expected, advice) => {
    const cause = new LibsecretCallError('lookup', domain, code, message);
    const error = mapSecretServiceError(cause, context, headless);
    expect(error.code).toBe(expected);
    expect(error.message).toContain(advice);
    expect(error.message).toContain(message);
    expect(error).toMatchObject({ backend: 'libsecret:svc/MSALCache', cause });
  });

  it('says a dismissed prompt when a display exists', () => {
    const cause = new LibsecretCallError('lookup', 'secret-error', 2, 'locked');
    const error = mapSecretServiceError(cause, context, { hasDisplay: true });
    expect(error.code).toBe('StoreLocked');
    expect(error.message).toContain('unlock prompt was dismissed');
  });

  it('passes a PersistenceError through, and makes anything else Io', () => {
    const typed = new PersistenceError('NotAvailable', 'no koffi', { backend: 'libsecret' });
    expect(mapSecretServiceError(typed, context)).toBe(typed);
    expect(mapSecretServiceError(new Error('boom'), context).code).toBe('Io');
  });

  it('is what LibsecretPersistence applies to libsecret failures', async () => {
    const native: LibsecretNative = {
      lookup: async () => {
        throw new LibsecretCallError('lookup', 'secret-error', 2, 'locked');
      },
      store: async () => undefined,
      clear: async () => false,
    };
    const persistence = new LibsecretPersistence({ signalPath: '/nonexistent/x.signal', service: 'svc', native });
    const error = await persistence.load().catch((e: unknown) => e);
    expect(isPersistenceError(error, 'StoreLocked')).toBe(true);
  });
});
