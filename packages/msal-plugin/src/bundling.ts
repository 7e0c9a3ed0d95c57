/**
 * The packages a bundler must leave out of the bundle (and the app must ship in `node_modules`):
 * they load native binaries at run time. `koffi` calls DPAPI, libsecret and the kernel keyring;
 * `@napi-rs/keyring` reaches the macOS Keychain. Everything else of msal-persist bundles.
 * See docs/bundling.md for esbuild, webpack and Electron.
 *
 * @example
 * ```ts
 * import { nativeExternals } from '@msal-persist/msal-plugin/bundling';
 * import { build } from 'esbuild';
 *
 * await build({ entryPoints: ['src/main.ts'], bundle: true, platform: 'node', external: [...nativeExternals] });
 * ```
 */
export const nativeExternals: readonly string[] = Object.freeze(['koffi', '@napi-rs/keyring']);

/**
 * Globs for Electron's `asarUnpack` (electron-builder) that keep the native packages' binaries
 * outside the `app.asar` archive, where the OS can load them.
 *
 * @example
 * ```ts
 * import { asarUnpack } from '@msal-persist/msal-plugin/bundling';
 *
 * export default { appId: 'com.example.app', asarUnpack: [...asarUnpack] }; // electron-builder.config.mjs
 * ```
 */
export const asarUnpack: readonly string[] = Object.freeze([
  '**/node_modules/koffi/**',
  '**/node_modules/@koromix/**',
  '**/node_modules/@napi-rs/keyring*/**',
]);
