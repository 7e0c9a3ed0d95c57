// Properties of the D-Bus wire reader, which reads whatever is on the session bus socket. Runs
// `propertyRuns(n)` cases (MSAL_PERSIST_DEEP=1 for 50×); a failure prints fast-check's seed and
// the shrunk counterexample.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyMutations, byteMutations, propertyRuns, withAllocationLimit } from '@msal-persist/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DBusWireError, encodeMessage, FIELD, METHOD_RETURN, parseMessage, type WireValue } from '../src/dbus-wire.js';

/** A D-Bus type, as a tree: what a signature says. */
type WireType =
  | { kind: 'basic'; code: string }
  | { kind: 'array'; of: WireType }
  | { kind: 'struct'; fields: WireType[] }
  | { kind: 'dict'; key: string; value: WireType }
  | { kind: 'variant' };

const BASIC_CODES = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g'] as const;

function signatureOf(type: WireType): string {
  switch (type.kind) {
    case 'basic':
      return type.code;
    case 'array':
      return `a${signatureOf(type.of)}`;
    case 'struct':
      return `(${type.fields.map(signatureOf).join('')})`;
    case 'dict':
      return `a{${type.key}${signatureOf(type.value)}}`;
    case 'variant':
      return 'v';
  }
}

function typeOf(depth: number): fc.Arbitrary<WireType> {
  const leaf = fc.constantFrom(...BASIC_CODES).map((code): WireType => ({ kind: 'basic', code }));
  if (depth === 0) return leaf;
  const inner = typeOf(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: inner.map((of): WireType => ({ kind: 'array', of })) },
    {
      weight: 1,
      arbitrary: fc
        .array(inner, { minLength: 1, maxLength: 3 })
        .map((fields): WireType => ({ kind: 'struct', fields })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('s', 'u', 'y', 'o', 'x'), inner)
        .map(([key, value]): WireType => ({ kind: 'dict', key, value })),
    },
    { weight: 1, arbitrary: fc.constant<WireType>({ kind: 'variant' }) },
  );
}

const text = fc.string({ unit: 'grapheme', maxLength: 20 });

function basicValue(code: string): fc.Arbitrary<WireValue> {
  switch (code) {
    case 'y':
      return fc.integer({ min: 0, max: 255 });
    case 'b':
      return fc.boolean();
    case 'n':
      return fc.integer({ min: -32768, max: 32767 });
    case 'q':
      return fc.integer({ min: 0, max: 65535 });
    case 'i':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'u':
    case 'h':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'x':
      return fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    case 't':
      return fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    case 'd':
      // -0 reads back as -0 but compares equal to 0 in neither direction of toEqual's intent; NaN never equals.
      return fc.double({ noNaN: true }).filter((value) => !Object.is(value, -0));
    case 'g':
      return typeOf(1).map(signatureOf);
    default:
      return text;
  }
}

function valuesOf(type: WireType, depth: number): fc.Arbitrary<WireValue> {
  switch (type.kind) {
    case 'basic':
      return basicValue(type.code);
    case 'array':
      if (type.of.kind === 'basic' && type.of.code === 'y') return fc.uint8Array({ maxLength: 16 });
      return fc.array(valuesOf(type.of, depth), { maxLength: 3 });
    case 'struct':
      return fc.tuple(...type.fields.map((field) => valuesOf(field, depth)));
    case 'dict':
      return fc.array(fc.tuple(basicValue(type.key), valuesOf(type.value, depth)), { maxLength: 3 });
    case 'variant':
      return typeOf(Math.max(depth - 1, 0)).chain((inner) =>
        valuesOf(inner, depth - 1).map((value): WireValue => [signatureOf(inner), value]),
      );
  }
}

/** A body: one to four complete types and values for them. */
const body = fc
  .array(typeOf(3), { minLength: 1, maxLength: 4 })
  .filter((types) => types.map(signatureOf).join('').length <= 255)
  .chain((types) =>
    fc.tuple(fc.constant(types.map(signatureOf).join('')), fc.tuple(...types.map((type) => valuesOf(type, 2)))),
  );

const reply = ([signature, args]: [string, WireValue[]], serial = 7) =>
  encodeMessage({
    type: METHOD_RETURN,
    serial: 1000 + serial,
    fields: [
      [FIELD.replySerial, ['u', serial]],
      [FIELD.member, ['s', 'GetSecrets']],
    ],
    signature,
    args,
  });

/** Every message a DBusWireError can carry: the literals in the reader's source. */
const KNOWN_PROBLEMS = new Set(
  [
    ...readFileSync(join(import.meta.dirname, '..', 'src', 'dbus-wire.ts'), 'utf8').matchAll(
      /new DBusWireError\(\s*'([^']+)'/g,
    ),
  ].map((match) => `malformed D-Bus message: ${match[1]}`),
);

/** Parses `bytes`; only a DBusWireError with one of the reader's own messages may come out. */
function parseOrTypedError(bytes: Uint8Array): void {
  try {
    parseMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    expect(error).toBeInstanceOf(DBusWireError);
    expect(KNOWN_PROBLEMS).toContain((error as Error).message);
  }
}

/** No buffer may be sized from a length field: at most a small multiple of the input. */
async function withinAllocationBound(bytes: Uint8Array): Promise<void> {
  const { exceeded } = await withAllocationLimit(16 * bytes.byteLength + 4096, () => parseOrTypedError(bytes));
  expect(exceeded).toEqual([]);
}

describe('the D-Bus wire reader (properties)', () => {
  it('knows its own error messages (the test reads them from the source)', () => {
    expect(KNOWN_PROBLEMS.size).toBeGreaterThan(10);
  });

  it('reads back exactly what the writer wrote, for any types and values (nested containers and variants)', () => {
    fc.assert(
      fc.property(body, ([signature, args]) => {
        const message = parseMessage(reply([signature, args]));
        expect(message).toMatchObject({ type: METHOD_RETURN, replySerial: 7, member: 'GetSecrets' });
        expect(message.body).toEqual(args);
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('on a damaged message (truncated, bits flipped, huge lengths, bytes removed or inserted): a typed error or a message, never anything else, never an allocation sized by a length field', async () => {
    await fc.assert(
      fc.asyncProperty(body, byteMutations(), async (written, damage) => {
        await withinAllocationBound(applyMutations(reply(written), damage));
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('on arbitrary bytes after a valid fixed header: a typed error or a message', async () => {
    const header = fc
      .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 200 }))
      .map(([bodyLength, rest]) => {
        const fixed = Buffer.alloc(16);
        fixed.write('l', 0, 'ascii');
        fixed[1] = 2;
        fixed[3] = 1;
        fixed.writeUInt32LE(bodyLength % 256, 4);
        fixed.writeUInt32LE(1, 8);
        fixed.writeUInt32LE(rest.length, 12);
        return Uint8Array.from([...fixed, ...rest]);
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(header, fc.uint8Array({ maxLength: 300 })), async (bytes) => {
        await withinAllocationBound(bytes);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('on a variant of any signature over the type alphabet (valid or not: `a()`, `ss`, `(`, …) with any bytes: a typed error or a message', async () => {
    const signature = fc.oneof(
      looseSignature(3),
      fc.string({ unit: fc.constantFrom(...'ybnqiuxtdhsogva(){}'), maxLength: 8 }),
    );
    // Random bytes rarely start with a small length followed by zero padding, which is what reaches
    // the loops: bias for both.
    const payloadBytes = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      fc
        .tuple(fc.integer({ min: 0, max: 48 }), fc.uint8Array({ maxLength: 48 }))
        .map(([length, rest]) => Uint8Array.from([length, 0, 0, 0, 0, 0, 0, 0, ...rest])),
      fc
        .integer({ min: 0, max: 48 })
        .map((length) => Uint8Array.from([length, 0, 0, 0, ...new Uint8Array(length + 8)])),
    );
    await fc.assert(
      fc.asyncProperty(signature, payloadBytes, async (variant, payload) => {
        await withinAllocationBound(headerVariant(variant, payload));
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('on containers nested past the protocol limit (arrays, structs, variants): a typed error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 120 }), fc.constantFrom('a', '(', 'v'), (depth, container) => {
        let bytes: Buffer;
        if (container === 'v') {
          bytes = encodeMessage({ type: 4, serial: 1, fields: [[9, nestedVariant(depth)]] });
        } else {
          // Refused from the signature alone, before any body byte is read.
          const signature = container === 'a' ? `${'a'.repeat(depth)}y` : `${'('.repeat(depth)}y${')'.repeat(depth)}`;
          bytes = encodeMessage({ type: 4, serial: 1, fields: [[FIELD.signature, ['g', signature]]] });
        }
        expect(() => parseMessage(bytes)).toThrow(DBusWireError);
      }),
      { numRuns: propertyRuns(50) },
    );
  });
});

/**
 * Signatures shaped like types, valid or not: containers of anything, empty structs (`a()`), dict
 * entries of any arity, pieces of types, two types where one belongs. Random strings rarely hit
 * these shapes; they are what a reader's loops depend on.
 */
function looseSignature(depth: number): fc.Arbitrary<string> {
  const leaf = fc.constantFrom(...'ybnqiuxtdhsogv', '', 'a', '(', ')', '{', '}');
  if (depth === 0) return leaf;
  const inner = looseSignature(depth - 1);
  return fc.oneof(
    leaf,
    inner.map((type) => `a${type}`),
    fc.array(inner, { maxLength: 3 }).map((fields) => `(${fields.join('')})`),
    fc.array(inner, { maxLength: 3 }).map((fields) => `a{${fields.join('')}}`),
    fc.tuple(inner, inner).map(([one, two]) => `${one}${two}`),
  );
}

/** A signal whose one header field is a variant of `signature` (any string), followed by `payload`. */
function headerVariant(signature: string, payload: Uint8Array): Uint8Array {
  const field = Buffer.concat([Buffer.from([9, signature.length]), Buffer.from(signature, 'ascii'), Buffer.alloc(1)]);
  const fields = Buffer.concat([field, Buffer.alloc((8 - (field.length % 8)) % 8), payload]);
  const fixed = Buffer.alloc(16);
  fixed.write('l', 0, 'ascii');
  fixed[1] = 4;
  fixed[3] = 1;
  fixed.writeUInt32LE(1, 8);
  fixed.writeUInt32LE(fields.length, 12);
  return Buffer.concat([fixed, fields, Buffer.alloc((8 - (fields.length % 8)) % 8)]);
}

/** v(v(…v(u)…)), `depth` variants deep. */
function nestedVariant(depth: number): [string, WireValue] {
  let value: [string, WireValue] = ['u', 1];
  for (let level = 1; level < depth; level++) value = ['v', value];
  return value;
}
