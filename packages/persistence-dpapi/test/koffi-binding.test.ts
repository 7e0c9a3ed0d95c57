import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPersistenceError } from '@msal-persist/core';
import * as koffi from 'koffi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpapiCodec } from '../src/dpapi-codec.js';
import { KoffiDpapiNative } from '../src/koffi-dpapi-native.js';

// Where there is no crypt32 (Linux, macOS), bind koffi to a compiled stand-in with the same
// exports and ABI, so the struct marshalling, output decoding, LocalFree and GetLastError paths run
// for real. Windows runs the real crypt32 in real-dpapi.test.ts instead.
const compiler = process.platform === 'win32' ? undefined : ['cc', 'gcc', 'clang'].find(hasCommand);

function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

describe.runIf(compiler)('KoffiDpapiNative binding, against a compiled stand-in for crypt32', () => {
  let dir = '';
  let library = '';
  let lastFlags: () => number = () => -1;
  let outstanding: () => number = () => -1;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dpapi-binding-'));
    library = join(dir, process.platform === 'darwin' ? 'fake-crypt32.dylib' : 'fake-crypt32.so');
    const source = join(import.meta.dirname, 'fixtures', 'fake-crypt32.c');
    const built = spawnSync(compiler ?? 'cc', ['-shared', '-fPIC', '-O1', '-o', library, source], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`compiling the stand-in failed: ${built.stderr}`);
    const hooks = koffi.load(library);
    const flagsFn = hooks.func('uint32_t FakeLastFlags()');
    const outstandingFn = hooks.func('int FakeOutstanding()');
    lastFlags = () => flagsFn() as number;
    outstanding = () => outstandingFn() as number;
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const native = () => new KoffiDpapiNative({ libraries: { crypt32: library, kernel32: library } });
  const plain = new TextEncoder().encode('{"RefreshToken":{"rt":{"secret":"s3cret"}}}');

  it('round-trips through DATA_BLOB in and out, and frees every output with LocalFree', async () => {
    const seam = native();
    const blob = await seam.protect(plain, undefined, 'CurrentUser');
    expect(blob.byteLength).toBe(plain.byteLength + 4);
    expect(Buffer.from(blob).includes('s3cret')).toBe(false);
    expect(await seam.unprotect(blob, undefined, 'CurrentUser')).toEqual(plain);
    expect(outstanding()).toBe(0);
  });

  it('reads input views at their offset (files arrive as views into larger buffers)', async () => {
    const seam = native();
    const padded = new Uint8Array(plain.byteLength + 16).fill(0xee);
    padded.set(plain, 7);
    const blob = await seam.protect(padded.subarray(7, 7 + plain.byteLength), undefined, 'CurrentUser');
    const paddedBlob = new Uint8Array(blob.byteLength + 9).fill(0xee);
    paddedBlob.set(blob, 5);
    expect(await seam.unprotect(paddedBlob.subarray(5, 5 + blob.byteLength), undefined, 'CurrentUser')).toEqual(plain);
  });

  it('passes CRYPTPROTECT_UI_FORBIDDEN always, and CRYPTPROTECT_LOCAL_MACHINE for the machine scope', async () => {
    const seam = native();
    await seam.protect(plain, undefined, 'CurrentUser');
    expect(lastFlags()).toBe(0x1);
    const blob = await seam.protect(plain, undefined, 'LocalMachine');
    expect(lastFlags()).toBe(0x5);
    expect(blob[1]).toBe('M'.charCodeAt(0));
    await seam.unprotect(blob, undefined, 'LocalMachine');
    expect(lastFlags()).toBe(0x1);
  });

  it('passes the entropy blob: a different entropy fails with GetLastError ERROR_INVALID_DATA → Corrupt', async () => {
    const codec = new DpapiCodec({ native: native(), entropy: 'right', backend: 'dpapi:/x' });
    const blob = await codec.encode(plain);
    expect(await codec.decode(blob)).toEqual(plain);
    const wrong = await new DpapiCodec({ native: native(), entropy: 'wrong' }).decode(blob).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(wrong, 'Corrupt')).toBe(true);
    expect((wrong as Error).message).toMatch(/Win32 error 13 ERROR_INVALID_DATA/);
    expect(outstanding()).toBe(0);
  });

  it('detects a tampered blob, and round-trips a 1 MiB payload', async () => {
    const codec = new DpapiCodec({ native: native() });
    const blob = await codec.encode(plain);
    blob[10] = (blob[10] ?? 0) ^ 0x01;
    const damaged = await codec.decode(blob).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPersistenceError(damaged, 'Corrupt')).toBe(true);
    const large = new Uint8Array(1024 * 1024).map((_, i) => (i * 13) & 0xff);
    // Buffer.equals: a deep toEqual over 1 MiB takes seconds.
    expect(Buffer.from(await codec.decode(await codec.encode(large))).equals(large)).toBe(true);
    expect(outstanding()).toBe(0);
  });

  it('reports a library without the DPAPI exports as NotAvailable', async () => {
    const error = await new KoffiDpapiNative({ libraries: { crypt32: join(dir, 'missing.so'), kernel32: library } })
      .protect(plain, undefined, 'CurrentUser')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
  });
});
