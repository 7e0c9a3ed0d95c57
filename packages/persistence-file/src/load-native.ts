import { isPersistenceError, PersistenceError } from '@msal-persist/core';

/**
 * What {@link loadNative} loads, for its messages.
 *
 * @example
 * ```ts
 * const what: NativeModuleInfo = { module: 'koffi', backend: 'dpapi', purpose: 'the FFI library DPAPI is called through' };
 * ```
 */
export interface NativeModuleInfo {
  /** The package name, exactly as the loader imports it (`koffi`, `@napi-rs/keyring`). */
  module: string;
  /** The backend name the error carries. */
  backend: string;
  /** What the module is to this backend, for the message ("the FFI library DPAPI is called through"). */
  purpose: string;
}

/** Where the bundler instructions live; a message cannot link to a file in the user's node_modules. */
const BUNDLING_GUIDE = 'https://github.com/msal-persist/msal-persist/blob/main/docs/bundling.md';

/** What native packages say when a bundler copied their JavaScript but not their binary. */
const BUNDLED_SIGNS =
  /did you bundle it correctly|Mismatched native Koffi modules|No loader is configured for "?\.node/i;

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * True when the import of `module` is gone from the loader's code: a bundler replaced
 * `() => import('koffi')` with its inlined copy. An external import keeps the name as a string.
 */
function importWasInlined(load: () => Promise<unknown>, module: string): boolean {
  const source = Function.prototype.toString.call(load);
  return !['"', "'", '`'].some((quote) => source.includes(`${quote}${module}${quote}`));
}

function explain(error: unknown, load: () => Promise<unknown>, { module, purpose }: NativeModuleInfo): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(module)) {
    return (
      `${module}, ${purpose}, is not installed where this code runs. Reinstall this package's dependencies; ` +
      `in a bundled app, ship ${module} in node_modules beside the bundle (${BUNDLING_GUIDE}).`
    );
  }
  if (BUNDLED_SIGNS.test(message) || importWasInlined(load, module)) {
    return (
      `${module}, ${purpose}, was bundled into this app's JavaScript, but it loads a native binary: ` +
      `mark it external in the bundler (import { nativeExternals } from '@msal-persist/msal-plugin/bundling') ` +
      `and ship it in node_modules beside the bundle; see ${BUNDLING_GUIDE}.`
    );
  }
  return (
    `${module}, ${purpose}, is installed but its prebuilt binary for ${process.platform}-${process.arch} did not load ` +
    `(see the cause). Reinstall without --omit=optional / --no-optional so its binary for this platform is installed; ` +
    `on an unusual platform (musl, an old glibc) use another backend.`
  );
}

/**
 * Imports a native dependency on first use and returns its default export (CommonJS modules and
 * koffi) or else its namespace. A failure becomes a `NotAvailable` that says which of three things
 * happened: the package is not installed, a bundler inlined it (it must stay external), or its
 * prebuilt binary does not load on this platform. Pass the import as written in the backend's own
 * package (`() => import('koffi')`), so it resolves from there and bundlers can see it.
 *
 * @example
 * ```ts
 * const koffi = await loadNative<Koffi>(() => import('koffi'), {
 *   module: 'koffi',
 *   backend: 'dpapi',
 *   purpose: 'the FFI library DPAPI is called through',
 * });
 * ```
 */
export async function loadNative<T>(load: () => Promise<unknown>, info: NativeModuleInfo): Promise<T> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (cause) {
    if (isPersistenceError(cause)) throw cause;
    throw new PersistenceError('NotAvailable', explain(cause, load, info), { backend: info.backend, cause });
  }
  const module = loaded as { default?: unknown };
  return (module.default ?? module) as T;
}
