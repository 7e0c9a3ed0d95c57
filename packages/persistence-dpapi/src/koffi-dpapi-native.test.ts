import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { DpapiCodec } from './dpapi-codec.js';
import { KoffiDpapiNative } from './koffi-dpapi-native.js';

describe.runIf(process.platform !== 'win32')('KoffiDpapiNative off Windows', () => {
  it('rejects every call with NotAvailable that says what to use instead', async () => {
    const native = new KoffiDpapiNative();
    for (const call of [
      () => native.protect(new Uint8Array([1]), undefined, 'CurrentUser'),
      () => native.unprotect(new Uint8Array([1]), undefined, 'CurrentUser'),
    ]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
      expect((error as Error).message).toMatch(/DPAPI is Windows-only; use @msal-persist\/persistence-libsecret/);
      expect((error as Error).message).toMatch(/msal-plugin which picks for you/);
    }
  });

  it('is the default seam of DpapiCodec, so decoding reports NotAvailable, not Corrupt', async () => {
    const error = await new DpapiCodec({ backend: 'dpapi:/x' }).decode(new Uint8Array([1, 2, 3])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
  });
});
