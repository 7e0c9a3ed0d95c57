import { DpapiCallError, type DpapiNative, type DpapiScope } from '../src/dpapi-native.js';

const MAGIC = new TextEncoder().encode('FAKEDPAPI');
const ERROR_INVALID_DATA = 13;

function fnv1a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

const text = (value: string) => new TextEncoder().encode(value);

/**
 * A reversible stand-in for DPAPI with its failure modes: the blob records the key owner (user, or
 * machine for `LocalMachine`) and a hash of the entropy, the payload is XOR-masked with a key
 * derived from both, and a checksum catches tampering. Unprotect fails like crypt32 does, with
 * ERROR_INVALID_DATA, for another user's blob, a wrong entropy or a damaged blob.
 */
export class FakeDpapiNative implements DpapiNative {
  readonly calls = { protect: 0, unprotect: 0 };

  constructor(
    readonly user = 'ada',
    readonly machine = 'PC-1',
  ) {}

  protect(data: Uint8Array, entropy: Uint8Array | undefined, scope: DpapiScope): Uint8Array {
    this.calls.protect++;
    const owner = text(scope === 'LocalMachine' ? `M:${this.machine}` : `U:${this.machine}\\${this.user}`);
    const entropyHash = fnv1a(entropy ?? new Uint8Array(0));
    const key = fnv1a(owner, entropyHash);
    const header = MAGIC.length + 1 + owner.length + 12;
    const blob = new Uint8Array(header + data.length);
    const view = new DataView(blob.buffer);
    blob.set(MAGIC, 0);
    blob[MAGIC.length] = owner.length;
    blob.set(owner, MAGIC.length + 1);
    view.setUint32(MAGIC.length + 1 + owner.length, entropyHash);
    view.setUint32(MAGIC.length + 1 + owner.length + 4, fnv1a(data));
    view.setUint32(header - 4, data.length);
    for (let i = 0; i < data.length; i++) blob[header + i] = (data[i] ?? 0) ^ ((key >>> ((i % 4) * 8)) & 0xff);
    return blob;
  }

  unprotect(blob: Uint8Array, entropy: Uint8Array | undefined, _scope: DpapiScope): Uint8Array {
    this.calls.unprotect++;
    const fail = (): never => {
      throw new DpapiCallError('CryptUnprotectData', ERROR_INVALID_DATA);
    };
    if (blob.length < MAGIC.length + 1 || !MAGIC.every((b, i) => blob[i] === b)) fail();
    const ownerLength = blob[MAGIC.length] ?? 0;
    const owner = new TextDecoder().decode(blob.subarray(MAGIC.length + 1, MAGIC.length + 1 + ownerLength));
    const header = MAGIC.length + 1 + ownerLength + 12;
    if (blob.length < header) fail();
    const mine = owner === `U:${this.machine}\\${this.user}` || owner === `M:${this.machine}`;
    if (!mine) fail();
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const entropyHash = fnv1a(entropy ?? new Uint8Array(0));
    if (view.getUint32(MAGIC.length + 1 + ownerLength) !== entropyHash) fail();
    if (view.getUint32(header - 4) !== blob.length - header) fail();
    const key = fnv1a(text(owner), entropyHash);
    const data = new Uint8Array(blob.length - header);
    for (let i = 0; i < data.length; i++) data[i] = (blob[header + i] ?? 0) ^ ((key >>> ((i % 4) * 8)) & 0xff);
    if (fnv1a(data) !== view.getUint32(MAGIC.length + 1 + ownerLength + 4)) fail();
    return data;
  }
}
