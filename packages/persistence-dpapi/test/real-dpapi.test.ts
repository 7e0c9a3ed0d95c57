import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { DpapiCodec, KoffiDpapiNative } from '../src/index.js';

// The real crypt32 through koffi: runs in the Windows legs of the CI matrix.
describe.runIf(process.platform === 'win32')('real DPAPI through koffi (Windows)', () => {
  const plain = new TextEncoder().encode('{"Account":{},"RefreshToken":{"rt":{"secret":"s3cret-\u00e9"}}}');

  it('round-trips in CurrentUser scope, and the blob is not the plaintext', async () => {
    const native = new KoffiDpapiNative();
    const blob = await native.protect(plain, undefined, 'CurrentUser');
    expect(blob.byteLength).toBeGreaterThan(plain.byteLength);
    expect(Buffer.from(blob).includes('s3cret')).toBe(false);
    expect(await native.unprotect(blob, undefined, 'CurrentUser')).toEqual(plain);
  });

  it('round-trips a 1 MiB payload with entropy', async () => {
    const large = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
    const codec = new DpapiCodec({ entropy: 'msal-persist-test' });
    // Buffer.equals: a deep toEqual over 1 MiB takes seconds.
    expect(Buffer.from(await codec.decode(await codec.encode(large))).equals(large)).toBe(true);
  });

  it('fails with Corrupt when the entropy does not match, or the blob is tampered', async () => {
    const blob = await new DpapiCodec({ entropy: 'right' }).encode(plain);
    const wrong = await new DpapiCodec({ entropy: 'wrong' }).decode(blob).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(wrong, 'Corrupt')).toBe(true);
    const none = await new DpapiCodec().decode(blob).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(none, 'Corrupt')).toBe(true);
    const tampered = blob.slice();
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff;
    const damaged = await new DpapiCodec({ entropy: 'right' }).decode(tampered).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(damaged, 'Corrupt')).toBe(true);
  });

  it('round-trips in LocalMachine scope', async () => {
    const codec = new DpapiCodec({ scope: 'LocalMachine', entropy: 'machine' });
    const blob = await codec.encode(plain);
    expect(await codec.decode(blob)).toEqual(plain);
    // A blob is self-describing: a CurrentUser codec with the same entropy reads it too.
    expect(await new DpapiCodec({ entropy: 'machine' }).decode(blob)).toEqual(plain);
  });
});
