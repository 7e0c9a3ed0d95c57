import { PersistenceError, type PersistenceErrorCode } from '@msal-persist/core';
import { errorText, type KeyringErrorContext, keyringErrorKind } from '@msal-persist/persistence-keyring';

// keyring-rs passes Security.framework's message (SecCopyErrorMessageString), or
// "error code N" when there is none; match both.
const rules: ReadonlyArray<readonly [RegExp, PersistenceErrorCode, string]> = [
  [
    /-25308\b|User interaction is not allowed/i,
    'StoreLocked',
    'The login keychain is locked and macOS may not ask to unlock it here (SSH session, daemon). ' +
      'Unlock it with `security unlock-keychain ~/Library/Keychains/login.keychain-db`, or use another backend.',
  ],
  [
    /-128\b|User canceled|cancell?ed the operation/i,
    'AccessDenied',
    'The keychain access prompt was dismissed. Allow access when macOS asks (choose "Always Allow"), or use another backend.',
  ],
  [
    /-25293\b|user name or passphrase you entered is not correct/i,
    'AccessDenied',
    'The keychain refused access: the password entered at the prompt was wrong or access was denied. Retry and allow access.',
  ],
  [
    /-25243\b|-34018\b|no access control|entitlement|not permitted|Permission denied/i,
    'AccessDenied',
    'This program may not access the keychain item. Check the item’s access control in Keychain Access, ' +
      'or delete the item so it is recreated for this program.',
  ],
  [/-25292\b|read-only/i, 'ReadOnly', 'The keychain is read-only. Use the login keychain, or another backend.'],
  [
    /-25291\b|-25294\b|-25295\b|No keychain|keychain (could not|cannot) be found|invalid keychain|not available/i,
    'NotAvailable',
    'No usable login keychain was found. Create or repair it in Keychain Access, or use another backend.',
  ],
];

/**
 * Maps an error from `@napi-rs/keyring`'s macOS store (keyring-rs's message around the Security
 * framework's) to a `PersistenceError`: a locked keychain that cannot prompt → `StoreLocked`,
 * a dismissed or denied prompt → `AccessDenied`, no keychain → `NotAvailable`.
 *
 * @example
 * ```ts
 * const error = mapKeychainError(err, { action: 'read', backend: 'keychain:my-app/MSALCache' });
 * if (error.code === 'StoreLocked') console.error(error.message);
 * ```
 */
export function mapKeychainError(error: unknown, context: KeyringErrorContext): PersistenceError {
  const text = errorText(error);
  const options = { backend: context.backend, cause: error };
  for (const [pattern, code, advice] of rules) {
    if (pattern.test(text)) return new PersistenceError(code, `${advice} (${text})`, options);
  }
  const kind = keyringErrorKind(error);
  if (kind === 'NoStorageAccess') {
    return new PersistenceError(
      'AccessDenied',
      `The keychain could not be accessed; unlock it and allow this program. (${text})`,
      options,
    );
  }
  return new PersistenceError(
    'Io',
    `The keychain failed to ${context.action} the token cache; see the cause. (${text})`,
    options,
  );
}
