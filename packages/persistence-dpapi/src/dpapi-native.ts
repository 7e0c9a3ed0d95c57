/**
 * Whose key DPAPI uses. `CurrentUser` (default): only the same Windows user can decrypt.
 * `LocalMachine` (`CRYPTPROTECT_LOCAL_MACHINE`): any user of the same machine can decrypt.
 *
 * @example
 * ```ts
 * const scope: DpapiScope = 'LocalMachine';
 * ```
 */
export type DpapiScope = 'CurrentUser' | 'LocalMachine';

/**
 * The seam around the two DPAPI calls. The real one is {@link KoffiDpapiNative} (crypt32 through
 * koffi); tests pass a fake so every code path runs on any OS. Either method may return a promise.
 * A failed call throws a {@link DpapiCallError} carrying the Win32 error code.
 *
 * @example
 * ```ts
 * const identity: DpapiNative = { protect: (data) => data.slice(), unprotect: (blob) => blob.slice() };
 * ```
 */
export interface DpapiNative {
  /** `CryptProtectData`: encrypts `data` (with optional `entropy`) into an opaque DPAPI blob. */
  protect(data: Uint8Array, entropy: Uint8Array | undefined, scope: DpapiScope): Uint8Array | Promise<Uint8Array>;
  /** `CryptUnprotectData`: decrypts a blob made by `protect` with the same entropy, user and machine. */
  unprotect(blob: Uint8Array, entropy: Uint8Array | undefined, scope: DpapiScope): Uint8Array | Promise<Uint8Array>;
}

/**
 * A DPAPI call that returned FALSE, with the Win32 code `GetLastError()` reported.
 *
 * @example
 * ```ts
 * throw new DpapiCallError('CryptUnprotectData', 13); // ERROR_INVALID_DATA
 * ```
 */
export class DpapiCallError extends Error {
  override readonly name = 'DpapiCallError';
  /** The Win32 function that failed. */
  readonly operation: 'CryptProtectData' | 'CryptUnprotectData';
  /** The `GetLastError()` value, unsigned (HRESULTs such as `0x80090005` stay positive). */
  readonly win32Code: number;

  constructor(operation: 'CryptProtectData' | 'CryptUnprotectData', win32Code: number) {
    const unsigned = win32Code >>> 0;
    super(`${operation} failed with Win32 error ${unsigned} (0x${unsigned.toString(16).padStart(8, '0')})`);
    this.operation = operation;
    this.win32Code = unsigned;
  }
}
