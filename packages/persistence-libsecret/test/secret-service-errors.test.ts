import { isPersistenceError } from '@msal-persist/core';
import { keyringError, MemorySecretStore } from '@msal-persist/persistence-keyring/testing';
import { describe, expect, it } from 'vitest';
import { LibsecretPersistence, mapSecretServiceError } from '../src/index.js';

const context = { action: 'read', backend: 'libsecret:svc/MSALCache' } as const;
const headless = { hasDisplay: false };

describe('mapSecretServiceError (messages as @napi-rs/keyring reports them)', () => {
  it.each([
    [
      'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
      'NotAvailable',
    ],
    [
      'Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory',
      'NotAvailable',
    ],
    [
      'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
      'NotAvailable',
    ],
    ['Platform failure: No DBus session or Secret Service provider found', 'NotAvailable'],
    ["Couldn't access platform storage: Secret Service: no result found", 'NotAvailable'],
    ["Couldn't access platform storage: Secret Service: object locked", 'StoreLocked'],
    ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'StoreLocked'],
    [
      'Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply',
      'Timeout',
    ],
    ['Platform failure: DBus error: Rejected send message (org.freedesktop.DBus.Error.AccessDenied)', 'AccessDenied'],
    ['Entry is matched by 2 credentials: [...]', 'Io'],
    ['Platform failure: Crypto error: bad padding', 'Io'],
  ])('%j → %s (headless)', (message, code) => {
    const cause = keyringError(message);
    const error = mapSecretServiceError(cause, context, headless);
    expect(error.code).toBe(code);
    expect(error).toMatchObject({ backend: 'libsecret:svc/MSALCache', cause });
  });

  it('reads a dismissed prompt with a display as the user refusing: AccessDenied', () => {
    const cause = keyringError("Couldn't access platform storage: Secret Service: unlock prompt was dismissed");
    expect(mapSecretServiceError(cause, context, { hasDisplay: true }).code).toBe('AccessDenied');
  });

  it('looks at nested causes too', () => {
    const cause = new Error('Platform failure', { cause: new Error('DBus error: Failed to connect to socket /x') });
    expect(mapSecretServiceError(cause, context, headless).code).toBe('NotAvailable');
  });

  it('is what LibsecretPersistence applies to store failures', async () => {
    const store = new MemorySecretStore();
    const persistence = new LibsecretPersistence({ signalPath: '/nonexistent/x.signal', service: 'svc', store });
    store.failNext('get', keyringError("Couldn't access platform storage: Secret Service: object locked"));
    const error = await persistence.load().catch((e: unknown) => e);
    expect(isPersistenceError(error, 'StoreLocked')).toBe(true);
  });
});
