// @msal-persist/persistence-dpapi through the real koffi binding into crypt32.dll (no fake seam):
// under Wine here, against Microsoft's DPAPI in the GitHub Actions Windows job.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DpapiCodec, DpapiPersistence, KoffiDpapiNative } from '@msal-persist/persistence-dpapi';
import { childScript, fragmentsOf, runNode, tempFolder, wineVersion } from './support.mjs';

/** The environment (Windows variables such as LOCALAPPDATA included); no build output depends on it. */
const { env } = process;

const wine = await wineVersion();
const plain = new TextEncoder().encode('{"RefreshToken":{"rt":{"secret":"s3cret-\u00e9-windows"}}}');

/**
 * The documented DPAPI blob layout (the one forensic tools parse, and the one Microsoft's crypt32
 * writes for the other MSAL extensions): little-endian DWORDs, length-prefixed byte fields.
 * Throws when the fields do not add up to exactly the blob's length.
 */
function parseBlob(blob) {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let at = 0;
  const dword = () => {
    if (at + 4 > blob.byteLength) throw new Error(`blob ends inside a DWORD at ${at}`);
    const value = view.getUint32(at, true);
    at += 4;
    return value;
  };
  const bytes = (length) => {
    if (at + length > blob.byteLength) throw new Error(`blob ends inside a ${length}-byte field at ${at}`);
    const value = blob.subarray(at, at + length);
    at += length;
    return value;
  };
  const guid = () => {
    const b = bytes(16);
    const hex = (from, to, reverse) => {
      const part = Array.from(b.subarray(from, to));
      return (reverse ? part.reverse() : part).map((x) => x.toString(16).padStart(2, '0')).join('');
    };
    return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10)}-${hex(10, 16)}`;
  };
  const parsed = {
    version: dword(),
    provider: guid(),
    masterKeyVersion: dword(),
    masterKey: guid(),
    flags: dword(),
  };
  const descriptionLength = dword();
  parsed.description = Buffer.from(bytes(descriptionLength)).toString('utf16le');
  parsed.cryptAlgorithm = dword();
  parsed.cryptKeyBits = dword();
  parsed.salt = bytes(dword());
  parsed.hmacKey = bytes(dword());
  parsed.hashAlgorithm = dword();
  parsed.hashBits = dword();
  parsed.hmac2Key = bytes(dword());
  parsed.data = bytes(dword());
  parsed.sign = bytes(dword());
  if (at !== blob.byteLength) throw new Error(`${blob.byteLength - at} bytes left after the last field`);
  return parsed;
}

/** The provider GUID every Microsoft DPAPI blob carries (CRYPTPROTECT_DEFAULT_PROVIDER). */
const DEFAULT_PROVIDER = 'df9d8cd0-1501-11d1-8c7a-00c04fc297eb';

async function rejection(promise) {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error) => error,
  );
}

/** A Corrupt error that says what to do and carries nothing of the blob or the plaintext. */
function assertCorruptWithoutSecrets(error, blob) {
  assert.equal(error?.name, 'PersistenceError');
  assert.equal(error.code, 'Corrupt');
  assert.match(error.message, /Sign in again/);
  const text = `${error.message}\n${error.cause?.message ?? ''}\n${String(error.stack)}`;
  for (const fragment of [...fragmentsOf(blob), ...fragmentsOf(plain), 's3cret']) {
    assert.ok(!text.includes(fragment), `the error text carries part of the blob or the plaintext: ${fragment}`);
  }
}

describe(`real DPAPI through koffi (${wine ? `Wine ${wine}` : 'Windows'})`, () => {
  test('round-trips in CurrentUser scope; the blob is not the plaintext', async () => {
    const native = new KoffiDpapiNative();
    const blob = await native.protect(plain, undefined, 'CurrentUser');
    assert.ok(!Buffer.from(blob).includes('s3cret'));
    assert.deepEqual(await native.unprotect(blob, undefined, 'CurrentUser'), plain);
  });

  test('round-trips views at an offset and a 1 MiB payload with entropy', async () => {
    const codec = new DpapiCodec({ entropy: 'msal-persist-windows' });
    const padded = new Uint8Array(plain.byteLength + 16).fill(0xee);
    padded.set(plain, 7);
    const view = padded.subarray(7, 7 + plain.byteLength);
    assert.deepEqual(await codec.decode(await codec.encode(view)), plain);
    const large = randomBytes(1024 * 1024);
    assert.ok(Buffer.from(await codec.decode(await codec.encode(large))).equals(large));
  });

  test('the blob has the documented DPAPI layout: version 1, master key version 1, fields filling it exactly', async () => {
    const blob = await new KoffiDpapiNative().protect(plain, undefined, 'CurrentUser');
    const parsed = parseBlob(blob);
    assert.equal(parsed.version, 1);
    assert.equal(parsed.masterKeyVersion, 1);
    assert.equal(parsed.description, '\u0000');
    // A block cipher's output: at least the plaintext, padded.
    assert.ok(parsed.data.byteLength >= plain.byteLength, `${parsed.data.byteLength} < ${plain.byteLength}`);
    assert.ok(parsed.sign.byteLength >= 20);
  });

  test(`the blob starts with version 1 and the provider GUID ${DEFAULT_PROVIDER}, as the other MSAL extensions' files do`, {
    skip: wine
      ? `Wine ${wine}'s crypt32 writes "Wine Crypt32 ok" where Microsoft's writes the provider GUID; the GitHub Actions Windows job checks it`
      : false,
  }, async () => {
    const blob = await new KoffiDpapiNative().protect(plain, undefined, 'CurrentUser');
    assert.equal(parseBlob(blob).provider, DEFAULT_PROVIDER);
    assert.deepEqual(Buffer.from(blob.subarray(0, 20)).toString('hex'), '01000000d08c9ddf0115d1118c7a00c04fc297eb');
  });

  test('a blob made in one node.exe process decrypts in another', async (t) => {
    const dir = tempFolder(t, 'dpapi-cross');
    const file = join(dir, 'blob.bin');
    writeFileSync(file, await new KoffiDpapiNative().protect(plain, Buffer.from('cross'), 'CurrentUser'));
    const script = childScript(
      t,
      `import { KoffiDpapiNative } from '@msal-persist/persistence-dpapi';
       import { readFileSync } from 'node:fs';
       const out = await new KoffiDpapiNative().unprotect(readFileSync(process.argv[2]), Buffer.from('cross'), 'CurrentUser');
       console.log(Buffer.from(out).toString('base64'));`,
    );
    const result = await runNode(script, [file]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), Buffer.from(plain).toString('base64'));
  });

  test('LocalMachine round-trips', async () => {
    const native = new KoffiDpapiNative();
    const blob = await native.protect(plain, undefined, 'LocalMachine');
    assert.deepEqual(await native.unprotect(blob, undefined, 'LocalMachine'), plain);
  });

  test('CryptProtectData receives CRYPTPROTECT_UI_FORBIDDEN, plus CRYPTPROTECT_LOCAL_MACHINE for LocalMachine', {
    skip: wine
      ? false
      : "Microsoft's crypt32 has no trace of the flags it receives; Wine's trace and the compiled crypt32 stand-in (vitest, Linux and macOS) check them",
  }, async (t) => {
    // Wine's crypt32 traces the dwFlags it receives (to the process's Unix stderr, which the lane
    // keeps in a file): a child protects a unique value in each scope with the crypt trace on.
    const traceFile = env.MSAL_PERSIST_WINE_STDERR;
    assert.ok(traceFile, 'the lane passes MSAL_PERSIST_WINE_STDERR, the file Wine writes its traces to');
    const child = childScript(
      t,
      `import { KoffiDpapiNative } from '@msal-persist/persistence-dpapi';
         await new KoffiDpapiNative().protect(Buffer.from(process.argv[2], 'hex'), undefined, process.argv[3]);`,
    );
    const flags = {};
    for (const scope of ['CurrentUser', 'LocalMachine']) {
      const nonce = randomBytes(12);
      const result = await runNode(child, [nonce.toString('hex'), scope], { env: { WINEDEBUG: 'trace+crypt' } });
      assert.equal(result.code, 0, result.stderr);
      flags[scope] = flagsTraced(readFileSync(traceFile, 'latin1'), nonce);
    }
    assert.deepEqual(flags, { CurrentUser: 0x1, LocalMachine: 0x5 });
  });

  test('wrong entropy, no entropy, a tampered blob and a truncated blob are typed Corrupt errors with nothing of the blob in them', async () => {
    const blob = await new DpapiCodec({ entropy: 'right' }).encode(plain);
    assertCorruptWithoutSecrets(await rejection(new DpapiCodec({ entropy: 'wrong' }).decode(blob)), blob);
    assertCorruptWithoutSecrets(await rejection(new DpapiCodec().decode(blob)), blob);
    const tampered = blob.slice();
    tampered[tampered.length - 30] ^= 0xff;
    assertCorruptWithoutSecrets(await rejection(new DpapiCodec({ entropy: 'right' }).decode(tampered)), tampered);
    const truncated = blob.slice(0, 60);
    assertCorruptWithoutSecrets(await rejection(new DpapiCodec({ entropy: 'right' }).decode(truncated)), truncated);
    const garbage = randomBytes(200);
    assertCorruptWithoutSecrets(await rejection(new DpapiCodec().decode(garbage)), garbage);
  });

  test('DpapiPersistence stores the raw DPAPI blob of the UTF-8 JSON, and a damaged file loads as Corrupt', async (t) => {
    const dir = tempFolder(t, 'dpapi-file');
    const path = join(dir, 'msal.cache');
    const persistence = new DpapiPersistence(path);
    await persistence.save(plain);
    const stored = readFileSync(path);
    assert.equal(stored.readUInt32LE(0), 1);
    assert.deepEqual(await new KoffiDpapiNative().unprotect(stored, undefined, 'CurrentUser'), plain);
    assert.deepEqual(await persistence.load(), plain);
    writeFileSync(path, stored.subarray(0, stored.length - 7));
    assertCorruptWithoutSecrets(await rejection(persistence.load()), stored);
  });
});

/** The dwFlags Wine's CryptProtectData traced for the call whose input was `nonce`. */
function flagsTraced(trace, nonce) {
  const lines = trace.split(/\r?\n/);
  const data = Array.from(nonce, (byte) => byte.toString(16).padStart(2, '0')).join(',');
  const index = lines.findIndex(
    (line) => /:trace:crypt:report pDataIn pbData @/.test(line) && line.endsWith(`:${data}`),
  );
  assert.ok(index >= 0, 'Wine traced no CryptProtectData call with our input');
  const thread = lines[index].split(':')[0];
  for (let i = index - 1; i >= 0; i--) {
    const match = new RegExp(`^${thread}:trace:crypt:report dwFlags: 0x([0-9a-f]+)$`).exec(lines[i]);
    if (match) return Number.parseInt(match[1], 16);
  }
  return assert.fail('no dwFlags trace before our input');
}
