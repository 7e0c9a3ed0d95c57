import { isPersistenceError, PersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { FakeDpapiNative } from '../test/fake-dpapi-native.js';
import { DpapiCodec } from './dpapi-codec.js';
import { DpapiCallError, type DpapiNative } from './dpapi-native.js';

const text = (value: string) => new TextEncoder().encode(value);
const json = '{"Account":{"a":{"secret":"refresh-token-value"}}}';

async function rejection(promise: Promise<unknown>): Promise<PersistenceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPersistenceError(error)) throw new Error(`expected a PersistenceError, got ${String(error)}`);
  return error;
}

describe('DpapiCodec', () => {
  it('is an encrypting codec named dpapi, CurrentUser by default', () => {
    const codec = new DpapiCodec({ native: new FakeDpapiNative() });
    expect(codec.name).toBe('dpapi');
    expect(codec.isEncrypted).toBe(true);
    expect(codec.scope).toBe('CurrentUser');
  });

  it('round-trips through the native seam and never returns the plaintext as the blob', async () => {
    const native = new FakeDpapiNative();
    const codec = new DpapiCodec({ native });
    const blob = await codec.encode(text(json));
    expect(Buffer.from(blob).includes('refresh-token-value')).toBe(false);
    expect(new TextDecoder().decode(await codec.decode(blob))).toBe(json);
    expect(native.calls).toEqual({ protect: 1, unprotect: 1 });
  });

  it('passes entropy and scope to the seam', async () => {
    const seen: unknown[] = [];
    const native: DpapiNative = {
      protect: (data, entropy, scope) => {
        seen.push([entropy && Array.from(entropy), scope]);
        return data.slice();
      },
      unprotect: (blob) => blob.slice(),
    };
    await new DpapiCodec({ native, entropy: 'ab', scope: 'LocalMachine' }).encode(text('{}'));
    await new DpapiCodec({ native, entropy: new Uint8Array([1, 2]) }).encode(text('{}'));
    await new DpapiCodec({ native }).encode(text('{}'));
    expect(seen).toEqual([
      [[97, 98], 'LocalMachine'],
      [[1, 2], 'CurrentUser'],
      [undefined, 'CurrentUser'],
    ]);
  });

  it('keeps empty data empty and unencrypted, without calling DPAPI', async () => {
    const native = new FakeDpapiNative();
    const codec = new DpapiCodec({ native });
    expect((await codec.encode(new Uint8Array(0))).byteLength).toBe(0);
    expect((await codec.decode(new Uint8Array(0))).byteLength).toBe(0);
    expect(native.calls).toEqual({ protect: 0, unprotect: 0 });
  });

  it('rejects a wrong entropy with Corrupt, naming what it means and keeping the cause', async () => {
    const blob = await new DpapiCodec({ native: new FakeDpapiNative(), entropy: 'one' }).encode(text(json));
    const codec = new DpapiCodec({ native: new FakeDpapiNative(), entropy: 'two', backend: 'dpapi:/x' });
    const error = await rejection(codec.decode(blob));
    expect(error.code).toBe('Corrupt');
    expect(error.backend).toBe('dpapi:/x');
    expect(error.message).toMatch(/another Windows user, on another machine or with different entropy/);
    expect(error.message).toMatch(/Win32 error 13 ERROR_INVALID_DATA/);
    expect(error.cause).toBeInstanceOf(DpapiCallError);
  });

  it('rejects a blob written by another user, and accepts a LocalMachine blob from them', async () => {
    const bob = new DpapiCodec({ native: new FakeDpapiNative('bob') });
    const ada = new DpapiCodec({ native: new FakeDpapiNative('ada') });
    expect((await rejection(ada.decode(await bob.encode(text(json))))).code).toBe('Corrupt');
    const machineWide = new DpapiCodec({ native: new FakeDpapiNative('bob'), scope: 'LocalMachine' });
    expect(new TextDecoder().decode(await ada.decode(await machineWide.encode(text(json))))).toBe(json);
    const otherMachine = new DpapiCodec({ native: new FakeDpapiNative('ada', 'PC-2'), scope: 'LocalMachine' });
    expect((await rejection(ada.decode(await otherMachine.encode(text(json))))).code).toBe('Corrupt');
  });

  it('rejects a tampered blob and a plaintext file with Corrupt', async () => {
    const codec = new DpapiCodec({ native: new FakeDpapiNative() });
    const blob = await codec.encode(text(json));
    blob[blob.length - 3] = (blob[blob.length - 3] ?? 0) ^ 0x20;
    expect((await rejection(codec.decode(blob))).code).toBe('Corrupt');
    expect((await rejection(codec.decode(text(json)))).code).toBe('Corrupt');
  });

  it('reports NTE_BAD_DATA by name', async () => {
    const native: DpapiNative = {
      protect: (data) => data,
      unprotect: () => {
        throw new DpapiCallError('CryptUnprotectData', 0x80090005 | 0);
      },
    };
    const error = await rejection(new DpapiCodec({ native }).decode(text('x')));
    expect(error.code).toBe('Corrupt');
    expect(error.message).toMatch(/Win32 error 2148073477 NTE_BAD_DATA/);
  });

  it('keeps NotAvailable from the seam as NotAvailable (not Corrupt), under its own backend name', async () => {
    const unavailable = new PersistenceError('NotAvailable', 'DPAPI is Windows-only.', { backend: 'dpapi' });
    const native: DpapiNative = {
      protect: () => Promise.reject(unavailable),
      unprotect: () => Promise.reject(unavailable),
    };
    const codec = new DpapiCodec({ native, backend: 'dpapi:/tmp/cache.bin' });
    for (const error of [await rejection(codec.decode(text('x'))), await rejection(codec.encode(text('x')))]) {
      expect(error.code).toBe('NotAvailable');
      expect(error.backend).toBe('dpapi:/tmp/cache.bin');
      expect(error.message).toBe('[dpapi:/tmp/cache.bin] DPAPI is Windows-only.');
    }
  });

  it('maps protect failures: access denied → AccessDenied, profile not loaded → Io with a hint', async () => {
    const failing = (code: number): DpapiNative => ({
      protect: () => {
        throw new DpapiCallError('CryptProtectData', code);
      },
      unprotect: (blob) => blob,
    });
    const denied = await rejection(new DpapiCodec({ native: failing(5) }).encode(text('{}')));
    expect(denied.code).toBe('AccessDenied');
    const noProfile = await rejection(new DpapiCodec({ native: failing(2) }).encode(text('{}')));
    expect(noProfile.code).toBe('Io');
    expect(noProfile.message).toMatch(/user profile is not loaded/);
    const other = await rejection(
      new DpapiCodec({
        native: {
          protect: () => {
            throw new TypeError('boom');
          },
          unprotect: (b) => b,
        },
      }).encode(text('{}')),
    );
    expect(other.code).toBe('Io');
    expect(other.cause).toBeInstanceOf(TypeError);
  });

  it('copies the entropy so a caller reusing its buffer cannot break decryption', async () => {
    const entropy = new Uint8Array([1, 2, 3]);
    const codec = new DpapiCodec({ native: new FakeDpapiNative(), entropy });
    const blob = await codec.encode(text(json));
    entropy.fill(9);
    expect(new TextDecoder().decode(await codec.decode(blob))).toBe(json);
  });
});
