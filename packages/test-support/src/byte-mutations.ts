import fc from 'fast-check';

/** One damage done to a stored blob; prints as what it does, so a shrunk counterexample reads plainly. */
export interface ByteMutation {
  apply(bytes: Uint8Array): Uint8Array;
}

function mutation(description: string, apply: (bytes: Uint8Array) => Uint8Array): ByteMutation {
  return Object.assign({ apply }, { [fc.toStringMethod]: () => description });
}

/** Length fields a parser must not trust: 2^31 - 1, 2^31 and 2^32 - 1 bytes. */
const HUGE = [0x7fffffff, 0x80000000, 0xffffffff] as const;

// Positions are taken modulo the input's length, so one mutation fits any blob and shrinks toward 0.
const at = (position: number, bytes: Uint8Array) => (bytes.length === 0 ? 0 : position % bytes.length);

const truncate = fc.nat().map((n) => mutation(`truncate to ${n} modulo the length`, (b) => b.slice(0, at(n, b))));
const flip = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([n, bit]) =>
  mutation(`flip bit ${bit} of byte ${n} modulo the length`, (b) => {
    const out = b.slice();
    const i = at(n, out);
    if (out.length > 0) out[i] = (out[i] ?? 0) ^ (1 << bit);
    return out;
  }),
);
const hugeLength = fc.tuple(fc.nat(), fc.constantFrom(...HUGE), fc.boolean()).map(([n, value, little]) =>
  mutation(`write ${value} (${little ? 'LE' : 'BE'}) over 4 bytes at ${n} modulo the length`, (b) => {
    const out = b.slice();
    if (out.length < 4) return out;
    new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(at(n, out.subarray(3)), value, little);
    return out;
  }),
);
const remove = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })).map(([n, count]) =>
  mutation(`remove ${count} byte(s) at ${n} modulo the length (misaligns what follows)`, (b) => {
    const i = at(n, b);
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + count)]);
  }),
);
const insert = fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 3 })).map(([n, extra]) =>
  mutation(`insert [${extra.join(',')}] at ${n} modulo the length (misaligns what follows)`, (b) => {
    const i = at(n, b);
    return Uint8Array.from([...b.subarray(0, i), ...extra, ...b.subarray(i)]);
  }),
);
const append = fc
  .uint8Array({ minLength: 1, maxLength: 64 })
  .map((extra) => mutation(`append ${extra.length} byte(s)`, (b) => Uint8Array.from([...b, ...extra])));

/**
 * One to three damages to a valid blob: truncations, bit flips, huge length fields (2^31 - 1,
 * 2^31, 2^32 - 1, either byte order), removed or inserted bytes (wrong alignment), appended bytes.
 * Apply them in order with {@link applyMutations}.
 *
 * @example
 * ```ts
 * fc.assert(fc.asyncProperty(byteMutations(), async (damage) => { await codec.decode(applyMutations(blob, damage)); }));
 * ```
 */
export function byteMutations(): fc.Arbitrary<ByteMutation[]> {
  return fc.array(fc.oneof(truncate, flip, hugeLength, remove, insert, append), { minLength: 1, maxLength: 3 });
}

/**
 * `bytes` with every mutation applied in order (a new array; `bytes` is not changed).
 *
 * @example
 * ```ts
 * const damaged = applyMutations(blob, mutations);
 * ```
 */
export function applyMutations(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  return mutations.reduce<Uint8Array>((current, m) => m.apply(current), bytes.slice());
}
