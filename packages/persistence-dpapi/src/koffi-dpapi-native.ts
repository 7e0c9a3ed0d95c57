import { PersistenceError } from '@msal-persist/core';
import { loadNative } from '@msal-persist/persistence-file';
import { DpapiCallError, type DpapiNative, type DpapiScope } from './dpapi-native.js';

/** Never show UI: a token cache runs in CLIs and services where a prompt would hang. */
const CRYPTPROTECT_UI_FORBIDDEN = 0x1;
const CRYPTPROTECT_LOCAL_MACHINE = 0x4;

/**
 * Options for {@link KoffiDpapiNative}.
 *
 * @example
 * ```ts
 * const options: KoffiDpapiNativeOptions = { libraries: { crypt32: 'crypt32.dll', kernel32: 'kernel32.dll' } };
 * ```
 */
export interface KoffiDpapiNativeOptions {
  /**
   * Libraries to bind instead of the system's `crypt32.dll` and `kernel32.dll`. When set, the
   * Windows-only check is skipped, so tests can bind a stand-in library with the same exports
   * (`CryptProtectData`, `CryptUnprotectData`, `LocalFree`, `GetLastError`) on any OS.
   */
  libraries?: { crypt32: string; kernel32: string };
}

interface Blob {
  cbData: number;
  pbData: unknown;
}

interface Binding {
  protect(data: Uint8Array, entropy: Uint8Array | undefined, flags: number): Uint8Array;
  unprotect(blob: Uint8Array, entropy: Uint8Array | undefined, flags: number): Uint8Array;
}

type Koffi = typeof import('koffi');

const BACKEND = 'dpapi';

const NOT_WINDOWS =
  'DPAPI is Windows-only; use @msal-persist/persistence-libsecret / -keychain or @msal-persist/msal-plugin which picks for you.';

function loadKoffi(): Promise<Koffi> {
  return loadNative<Koffi>(() => import('koffi'), {
    module: 'koffi',
    backend: BACKEND,
    purpose: 'the FFI library DPAPI is called through',
  });
}

function bind(koffi: Koffi, libraries: { crypt32: string; kernel32: string }): Binding {
  // Anonymous types: a named koffi type can be declared once per process, and the ESM and CJS
  // builds of this package may both load.
  const DATA_BLOB = koffi.struct({ cbData: 'uint32_t', pbData: 'void *' });
  const BlobIn = koffi.pointer(DATA_BLOB);
  const BlobOut = koffi.out(koffi.pointer(DATA_BLOB));
  const crypt32 = koffi.load(libraries.crypt32);
  const kernel32 = koffi.load(libraries.kernel32);
  // BOOL CryptProtectData(DATA_BLOB *in, LPCWSTR descr, DATA_BLOB *entropy, PVOID reserved,
  //                       CRYPTPROTECT_PROMPTSTRUCT *prompt, DWORD flags, DATA_BLOB *out)
  const CryptProtectData = crypt32.func('__stdcall', 'CryptProtectData', 'int', [
    BlobIn,
    'const char16_t *',
    BlobIn,
    'void *',
    'void *',
    'uint32_t',
    BlobOut,
  ]);
  // BOOL CryptUnprotectData(DATA_BLOB *in, LPWSTR *descr, DATA_BLOB *entropy, PVOID reserved,
  //                         CRYPTPROTECT_PROMPTSTRUCT *prompt, DWORD flags, DATA_BLOB *out)
  const CryptUnprotectData = crypt32.func('__stdcall', 'CryptUnprotectData', 'int', [
    BlobIn,
    'void *',
    BlobIn,
    'void *',
    'void *',
    'uint32_t',
    BlobOut,
  ]);
  const LocalFree = kernel32.func('__stdcall', 'LocalFree', 'void *', ['void *']);
  // koffi saves and restores the thread's last error around each call, so this reads the value
  // the DPAPI call set, not one left by Node in between.
  const GetLastError = kernel32.func('__stdcall', 'GetLastError', 'uint32_t', []);

  const blob = (bytes: Uint8Array | undefined): Blob | null =>
    bytes === undefined ? null : { cbData: bytes.byteLength, pbData: bytes };

  const call = (fn: typeof CryptProtectData, operation: DpapiCallError['operation']) => {
    return (input: Uint8Array, entropy: Uint8Array | undefined, flags: number): Uint8Array => {
      const out: Blob = { cbData: 0, pbData: null };
      const ok = fn(blob(input), null, blob(entropy), null, null, flags, out);
      if (!ok) throw new DpapiCallError(operation, GetLastError());
      try {
        if (out.cbData === 0 || out.pbData === null) return new Uint8Array(0);
        // decode copies into a new JS-owned Uint8Array; koffi.view would alias memory that
        // LocalFree releases right below (and Electron forbids such external buffers).
        return koffi.decode(out.pbData, koffi.array('uint8_t', out.cbData, 'Typed')) as Uint8Array;
      } finally {
        // DPAPI allocates pbData with LocalAlloc; nobody else frees it.
        if (out.pbData !== null) LocalFree(out.pbData);
      }
    };
  };

  return {
    protect: call(CryptProtectData, 'CryptProtectData'),
    unprotect: call(CryptUnprotectData, 'CryptUnprotectData'),
  };
}

/**
 * The real {@link DpapiNative}: `CryptProtectData`/`CryptUnprotectData` from `crypt32.dll`
 * through koffi (prebuilt, no compiler), with `CRYPTPROTECT_UI_FORBIDDEN`, freeing the output
 * with `LocalFree`. koffi is imported on first use, so importing this package never fails; on a
 * non-Windows OS every call rejects with `PersistenceError` code `NotAvailable`.
 *
 * @example
 * ```ts
 * const native = new KoffiDpapiNative();
 * const blob = await native.protect(new TextEncoder().encode('{}'), undefined, 'CurrentUser');
 * ```
 */
export class KoffiDpapiNative implements DpapiNative {
  private binding: Promise<Binding> | undefined;
  private readonly libraries: { crypt32: string; kernel32: string } | undefined;

  constructor(options: KoffiDpapiNativeOptions = {}) {
    this.libraries = options.libraries;
  }

  async protect(data: Uint8Array, entropy: Uint8Array | undefined, scope: DpapiScope): Promise<Uint8Array> {
    const flags = CRYPTPROTECT_UI_FORBIDDEN | (scope === 'LocalMachine' ? CRYPTPROTECT_LOCAL_MACHINE : 0);
    return (await this.bound()).protect(data, entropy, flags);
  }

  async unprotect(blob: Uint8Array, entropy: Uint8Array | undefined, _scope: DpapiScope): Promise<Uint8Array> {
    // The blob records its own scope; CryptUnprotectData takes no scope flag.
    return (await this.bound()).unprotect(blob, entropy, CRYPTPROTECT_UI_FORBIDDEN);
  }

  private bound(): Promise<Binding> {
    this.binding ??= this.load();
    return this.binding;
  }

  private async load(): Promise<Binding> {
    const libraries = this.libraries;
    if (libraries === undefined && process.platform !== 'win32') {
      throw new PersistenceError('NotAvailable', `${NOT_WINDOWS} (this is ${process.platform}).`, { backend: BACKEND });
    }
    const koffi = await loadKoffi();
    try {
      return bind(koffi, libraries ?? { crypt32: 'crypt32.dll', kernel32: 'kernel32.dll' });
    } catch (cause) {
      throw new PersistenceError(
        'NotAvailable',
        'Cannot bind CryptProtectData/CryptUnprotectData from crypt32.dll; see the cause.',
        { backend: BACKEND, cause },
      );
    }
  }
}
