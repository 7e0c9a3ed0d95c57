import type { PersistenceError } from '@msal-persist/core';

/**
 * The keyring-rs error kinds, recognised from the message `@napi-rs/keyring` rejects with (it
 * only exposes `code: 'GenericFailure'`, so the message prefix is all there is).
 *
 * @example
 * ```ts
 * keyringErrorKind(new Error("Couldn't access platform storage: Secret Service: object locked")); // 'NoStorageAccess'
 * ```
 */
export type KeyringErrorKind =
  | 'NoEntry'
  | 'NoStorageAccess'
  | 'PlatformFailure'
  | 'BadEncoding'
  | 'TooLong'
  | 'Invalid'
  | 'Ambiguous'
  | 'NotSupportedByStore'
  | 'Unknown';

const prefixes: ReadonlyArray<readonly [KeyringErrorKind, RegExp]> = [
  ['NoEntry', /^No matching entry found/i],
  ['NoStorageAccess', /^Couldn'?t access platform (secure )?storage/i],
  ['PlatformFailure', /^Platform (secure storage )?failure/i],
  ['BadEncoding', /not (UTF-8|UTF8) encoded|^Data is not/i],
  ['TooLong', /is longer than platform limit/i],
  ['Invalid', /^Attribute .* is invalid|is invalid:/i],
  ['Ambiguous', /^Entry is matched by \d+ credentials/i],
  ['NotSupportedByStore', /not supported by (the )?(credential )?store/i],
];

/**
 * The whole message of an error and its causes, joined with `: ` (napi-rs nests the Rust error
 * chain as `cause`s), so patterns can look at every layer.
 *
 * @example
 * ```ts
 * errorText(new Error('a', { cause: new Error('b') })); // 'a: b'
 * ```
 */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (!parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/**
 * Classifies an error from `@napi-rs/keyring` into its keyring-rs kind.
 *
 * @example
 * ```ts
 * if (keyringErrorKind(err) === 'NoEntry') return null;
 * ```
 */
export function keyringErrorKind(error: unknown): KeyringErrorKind {
  const message = error instanceof Error ? error.message : String(error);
  for (const [kind, pattern] of prefixes) if (pattern.test(message)) return kind;
  return 'Unknown';
}

/** What a store call was doing when it failed, for messages. */
export type KeyringAction = 'read' | 'write' | 'delete';

/**
 * Context handed to a {@link KeyringErrorMapper}.
 *
 * @example
 * ```ts
 * const context: KeyringErrorContext = { action: 'write', backend: 'keychain:my-app/MSALCache' };
 * ```
 */
export interface KeyringErrorContext {
  /** What the failed call was doing. */
  action: KeyringAction;
  /** The persistence's `name`, for the error's `backend`. */
  backend: string;
}

/**
 * Turns what a {@link SecretStore} threw into a typed `PersistenceError`. Each OS package has
 * one, because the same keyring-rs kind means different things on each OS.
 *
 * @example
 * ```ts
 * const mapError: KeyringErrorMapper = (error, { backend }) =>
 *   new PersistenceError('Io', 'The secret store failed; see the cause.', { backend, cause: error });
 * ```
 */
export type KeyringErrorMapper = (error: unknown, context: KeyringErrorContext) => PersistenceError;
