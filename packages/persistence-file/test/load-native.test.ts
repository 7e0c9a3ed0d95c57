// Native dependencies (koffi, @napi-rs/keyring) fail to load for three different reasons, and
// each needs a different fix: say which one it is.
import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/index.js';

const options = { module: 'msal-persist-absent-native', backend: 'test', purpose: 'the FFI library tests call' };

async function failureOf(load: () => Promise<unknown>, module = options.module): Promise<Error> {
  const error = await loadNative(load, { ...options, module }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
  return error as Error;
}

describe('loadNative', () => {
  it("returns the module's default export when it has one (CommonJS through import()), else the namespace", async () => {
    const native = { load: () => 'bound' };
    expect(await loadNative(async () => ({ default: native, load: native.load }), options)).toBe(native);
    const namespace = { AsyncEntry: class {} };
    expect(await loadNative(async () => namespace, options)).toBe(namespace);
  });

  it('a module that is not installed: says so and how to install it, with the cause', async () => {
    const error = await failureOf(
      () =>
        // @ts-expect-error: the point is that it is not installed
        import('msal-persist-absent-native'),
    );
    expect(error.message).toMatch(/^\[test\] msal-persist-absent-native, the FFI library tests call, is not installed/);
    expect(error.message).toContain('node_modules');
    expect(error.message).not.toMatch(/bundle[dr] into/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a module a bundler inlined (its import is gone from the code): says it was bundled and must be external', async () => {
    // What esbuild leaves of `() => import('koffi')` when it bundles koffi: no import of the name,
    // and whatever error the inlined code runs into.
    const inlined = () => Promise.reject(new Error('ENOENT: no such file, open /app/dist/koffi/linux_x64/koffi.node'));
    const error = await failureOf(inlined, 'koffi');
    expect(error.message).toMatch(
      /^\[test\] koffi, the FFI library tests call, was bundled into this app's JavaScript/,
    );
    expect(error.message).toContain('external');
    expect(error.message).toContain('nativeExternals');
    expect(error.message).toContain('docs/bundling.md');
    expect(error.message).not.toMatch(/Reinstall|not installed/);
  });

  it("a module whose own loader says it was bundled, even if the import's name survived: bundled", async () => {
    const load = () =>
      // @ts-expect-error: the point is that it is not installed
      import('msal-persist-absent-native').catch(() => {
        throw new Error('Cannot find the native Koffi module; did you bundle it correctly?');
      });
    expect((await failureOf(load)).message).toContain('was bundled into');
  });

  it('an installed module whose binary does not load here: names the platform and the prebuilt binary', async () => {
    const load = () =>
      // @ts-expect-error: the point is that it is not installed
      import('msal-persist-absent-native').catch(() => {
        throw new Error('libfoo.so: cannot open shared object file: wrong ELF class: ELFCLASS32');
      });
    const error = await failureOf(load);
    expect(error.message).toContain(`${process.platform}-${process.arch}`);
    expect(error.message).toContain('prebuilt binary');
    expect(error.message).not.toContain('was bundled into');
  });
});
