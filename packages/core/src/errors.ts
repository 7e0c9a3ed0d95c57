/**
 * Stable error codes. Match on `error.code`, never on the message.
 *
 * @example
 * ```ts
 * if (isPersistenceError(err) && err.code === PersistenceErrorCode.LockTimeout) retryLater();
 * ```
 */
export const PersistenceErrorCode = {
  /** The backend cannot be used here: wrong OS, missing library, no D-Bus, no Secret Service, server down. */
  NotAvailable: 'NotAvailable',
  /** The OS refused access: file permissions, keychain access denied, prompt dismissed. */
  AccessDenied: 'AccessDenied',
  /** The secret store exists but is locked and could not be unlocked without user interaction. */
  StoreLocked: 'StoreLocked',
  /** The cross-process lock was not acquired in time. */
  LockTimeout: 'LockTimeout',
  /** The lock was lost while held (lease expired, lock file removed); the write was refused. */
  LockLost: 'LockLost',
  /** The operation was cancelled through its `AbortSignal`. */
  Aborted: 'Aborted',
  /** The stored bytes cannot be read back as a cache (bad JSON, failed decryption, tampered blob). */
  Corrupt: 'Corrupt',
  /** No space left on the device; the previous content is intact. */
  NoSpace: 'NoSpace',
  /** The store is read-only. */
  ReadOnly: 'ReadOnly',
  /** The store did not answer in time. */
  Timeout: 'Timeout',
  /** Any other I/O failure; see `cause`. */
  Io: 'Io',
} as const;

/** One of {@link PersistenceErrorCode}'s values. */
export type PersistenceErrorCode = (typeof PersistenceErrorCode)[keyof typeof PersistenceErrorCode];

const codes = new Set<string>(Object.values(PersistenceErrorCode));

/** Options for {@link PersistenceError}. */
export interface PersistenceErrorOptions {
  /** The backend's `name` (for example `file:/home/me/.cache/app/msal.json`). */
  backend: string;
  /** The underlying error, always kept. */
  cause?: unknown;
}

/**
 * The one error class every msal-persist package throws. `code` is stable, `backend` names the
 * store, `cause` keeps the original error, and the message says what to do next.
 *
 * @example
 * ```ts
 * throw new PersistenceError('AccessDenied', 'Cannot read /x: permission denied. Fix the file mode.', { backend: 'file:/x', cause: err });
 * ```
 */
export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';
  /** Stable machine-readable code. */
  readonly code: PersistenceErrorCode;
  /** The backend that failed. */
  readonly backend: string;

  constructor(code: PersistenceErrorCode, message: string, options: PersistenceErrorOptions) {
    super(`[${options.backend}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.backend = options.backend;
  }
}

/**
 * True for a {@link PersistenceError}, also one thrown by another copy of this package.
 *
 * @example
 * ```ts
 * if (isPersistenceError(err, 'Corrupt')) console.warn(err.message);
 * ```
 */
export function isPersistenceError(value: unknown, code?: PersistenceErrorCode): value is PersistenceError {
  if (!(value instanceof Error) || value.name !== 'PersistenceError') return false;
  const actual = (value as { code?: unknown }).code;
  if (typeof actual !== 'string' || !codes.has(actual)) return false;
  return code === undefined || actual === code;
}
