import { type BinaryInput, type BytesCodec, isPersistenceError, PersistenceError, toBytes } from '@msal-persist/core';
import { DpapiCallError, type DpapiNative, type DpapiScope } from './dpapi-native.js';
import { KoffiDpapiNative } from './koffi-dpapi-native.js';

/**
 * Options for {@link DpapiCodec}.
 *
 * @example
 * ```ts
 * const options: DpapiCodecOptions = { entropy: 'my-app', scope: 'CurrentUser' };
 * ```
 */
export interface DpapiCodecOptions {
  /**
   * Extra secret mixed into the encryption (`pOptionalEntropy`); the same value is needed to
   * decrypt. Strings are UTF-8 encoded. Default: none, as the other MSAL extensions write.
   */
  entropy?: BinaryInput;
  /** `CurrentUser` (default) or `LocalMachine` (`CRYPTPROTECT_LOCAL_MACHINE`). */
  scope?: DpapiScope;
  /** The DPAPI calls. Default: {@link KoffiDpapiNative}, the real crypt32 through koffi. */
  native?: DpapiNative;
  /** The backend name errors carry. Default `dpapi`. */
  backend?: string;
}

/** What the common `CryptUnprotectData` codes mean for a token cache file. */
const UNPROTECT_REASONS: Record<number, string> = {
  13: 'ERROR_INVALID_DATA',
  2148073477: 'NTE_BAD_DATA',
  2148073483: 'NTE_BAD_KEY_STATE',
  2148073524: 'NTE_BAD_KEYSET',
};

const PROTECT_HINTS: Record<number, string> = {
  2: 'the user profile is not loaded (a service or scheduled task without "load user profile"); load it or use scope "LocalMachine"',
  5: 'access was denied',
};

/**
 * A {@link BytesCodec} that protects the stored cache with Windows DPAPI. Stored bytes are the raw
 * DPAPI blob of the plaintext, the format of the other MSAL extensions, so they can share a cache.
 * Empty data stays empty and unencrypted, as the .NET extension writes it.
 *
 * @example
 * ```ts
 * const codec = new DpapiCodec({ entropy: 'my-app' });
 * const blob = await codec.encode(new TextEncoder().encode('{}'));
 * ```
 */
export class DpapiCodec implements BytesCodec {
  readonly name = 'dpapi';
  readonly isEncrypted = true;
  /** The DPAPI scope new blobs are written with. */
  readonly scope: DpapiScope;
  private readonly entropy: Uint8Array | undefined;
  private readonly native: DpapiNative;
  private readonly backend: string;

  constructor(options: DpapiCodecOptions = {}) {
    this.scope = options.scope ?? 'CurrentUser';
    // Copy: the caller may reuse its buffer, and a changed entropy would make the cache unreadable.
    this.entropy = options.entropy === undefined ? undefined : toBytes(options.entropy).slice();
    this.native = options.native ?? new KoffiDpapiNative();
    this.backend = options.backend ?? 'dpapi';
  }

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    if (plain.byteLength === 0) return new Uint8Array(0);
    try {
      return await this.native.protect(plain, this.entropy, this.scope);
    } catch (error) {
      throw this.protectError(error);
    }
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    if (stored.byteLength === 0) return new Uint8Array(0);
    try {
      return await this.native.unprotect(stored, this.entropy, this.scope);
    } catch (error) {
      throw this.unprotectError(error);
    }
  }

  private protectError(error: unknown): PersistenceError {
    if (isPersistenceError(error)) return this.rebrand(error);
    if (error instanceof DpapiCallError) {
      const hint = PROTECT_HINTS[error.win32Code] ?? 'see the cause';
      const code = error.win32Code === 5 ? 'AccessDenied' : 'Io';
      return new PersistenceError(code, `Cannot encrypt the token cache with DPAPI: ${hint}.`, {
        backend: this.backend,
        cause: error,
      });
    }
    return new PersistenceError('Io', 'Cannot encrypt the token cache with DPAPI; see the cause.', {
      backend: this.backend,
      cause: error,
    });
  }

  private unprotectError(error: unknown): PersistenceError {
    // NotAvailable must stay NotAvailable: reporting it as Corrupt would make the plugin silently
    // start from an empty cache on an OS that cannot decrypt anything.
    if (isPersistenceError(error)) return this.rebrand(error);
    let detail = '';
    if (error instanceof DpapiCallError) {
      const known = UNPROTECT_REASONS[error.win32Code];
      detail = ` (Win32 error ${error.win32Code}${known ? ` ${known}` : ''})`;
    }
    return new PersistenceError(
      'Corrupt',
      `Cannot decrypt the token cache with DPAPI${detail}: it was written by another Windows user, on another ` +
        'machine or with different entropy, or the file is damaged. Sign in again; the unreadable file is kept aside.',
      { backend: this.backend, cause: error },
    );
  }

  private rebrand(error: PersistenceError): PersistenceError {
    if (error.backend === this.backend) return error;
    const message = error.message.startsWith(`[${error.backend}] `)
      ? error.message.slice(error.backend.length + 3)
      : error.message;
    return new PersistenceError(error.code, message, { backend: this.backend, cause: error.cause ?? error });
  }
}
