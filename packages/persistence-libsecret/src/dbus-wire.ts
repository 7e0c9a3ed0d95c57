// The part of the D-Bus wire format (little-endian) that a Secret Service lookup needs: method
// calls out; method returns, errors and signals in. Every basic and container type but `h`'s
// file descriptors (read as their index) and the 64-bit integers' full range (read as numbers).
//
// The reader takes bytes from whoever is on the socket, so it must end on every input: each
// signature is checked before use (a variant's is exactly one complete type), every element read
// advances or throws, nesting is bounded, lengths are checked against the bytes before anything is
// allocated, and errors are DBusWireError with a fixed message that never repeats input bytes.

/**
 * A malformed or unsupported D-Bus message. Its message says what is wrong in words of its own,
 * never with the message's bytes (they come from whoever is on the socket).
 *
 * @example
 * ```ts
 * try { parseMessage(bytes); } catch (error) { if (error instanceof DBusWireError) hangUp(); }
 * ```
 */
export class DBusWireError extends Error {
  override readonly name = 'DBusWireError';
  constructor(problem: string) {
    super(`malformed D-Bus message: ${problem}`);
  }
}

/** A value read from or written to the wire: a variant is `[signature, value]`, a dict an array of `[key, value]`. */
export type WireValue = string | number | boolean | Uint8Array | WireValue[];

/** Message types (the header's second byte). */
export const METHOD_CALL = 1;
export const METHOD_RETURN = 2;
export const ERROR = 3;

/** A parsed incoming message. */
export interface WireMessage {
  type: number;
  serial: number;
  replySerial: number | undefined;
  /** The method of a call, the signal's name of a signal. */
  member: string | undefined;
  errorName: string | undefined;
  body: WireValue[];
}

const ALIGN: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  h: 4,
  s: 4,
  o: 4,
  g: 1,
  v: 1,
  a: 4,
  '(': 8,
  '{': 8,
};
/** The protocol's limit on nesting: 32 arrays plus 32 structs, variants counted with them. */
const MAX_DEPTH = 64;
/** Types a dict entry's key may have. */
const BASIC = new Set('ybnqiuxtdhsog');

/** Splits a signature into its complete types: `a{ss}o` → [`a{ss}`, `o`]; throws DBusWireError on a malformed one. */
export function splitSignature(signature: string): string[] {
  if (signature.length > 255) throw new DBusWireError('a signature longer than 255 characters');
  const types: string[] = [];
  let index = 0;
  while (index < signature.length) {
    const end = completeTypeEnd(signature, index);
    types.push(signature.slice(index, end));
    index = end;
  }
  return types;
}

/** Throws DBusWireError unless `signature` is exactly one complete type (what a variant holds). */
export function checkSingleType(signature: string): void {
  if (signature.length === 0 || completeTypeEnd(signature, 0) !== signature.length) {
    throw new DBusWireError('a variant whose signature is not exactly one complete type');
  }
}

function completeTypeEnd(signature: string, start: number, depth = 0): number {
  if (depth > MAX_DEPTH) throw new DBusWireError('a signature nested too deeply');
  const head = signature[start];
  if (head === 'a') return completeTypeEnd(signature, start + 1, depth + 1);
  if (head === '(' || head === '{') {
    const close = head === '(' ? ')' : '}';
    let index = start + 1;
    let fields = 0;
    while (signature[index] !== close) {
      if (index >= signature.length) throw new DBusWireError('an unterminated struct in a signature');
      // A dict entry's key is a basic type.
      if (head === '{' && fields === 0 && !BASIC.has(signature[index] ?? '')) {
        throw new DBusWireError('a dict entry whose key is not a basic type');
      }
      index = completeTypeEnd(signature, index, depth + 1);
      fields++;
    }
    // An empty struct is not a type; a dict entry is exactly a key and a value, inside an array.
    if (fields === 0 || (head === '{' && (fields !== 2 || signature[start - 1] !== 'a'))) {
      throw new DBusWireError('an empty struct or a malformed dict entry in a signature');
    }
    return index + 1;
  }
  if (head === undefined) throw new DBusWireError('an incomplete type in a signature');
  if (!(head in ALIGN) || head === ')' || head === '}') throw new DBusWireError('an unknown type code in a signature');
  return start + 1;
}

/** Appends D-Bus values to a growing buffer, with offsets counted from the message start. */
class Writer {
  private chunks: Buffer[] = [];
  length = 0;

  private push(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  pad(alignment: number): void {
    const gap = (alignment - (this.length % alignment)) % alignment;
    if (gap) this.push(Buffer.alloc(gap));
  }

  /** Writes `value` aligned to 4; returns its bytes, so an array's length can be filled in later. */
  uint32(value: number): Buffer {
    this.pad(4);
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    this.push(bytes);
    return bytes;
  }

  write(type: string, value: WireValue): void {
    const head = type[0];
    switch (head) {
      case 'y':
        this.push(Buffer.from([Number(value)]));
        return;
      case 'b':
        this.uint32(value ? 1 : 0);
        return;
      case 'u':
        this.uint32(Number(value));
        return;
      case 'i':
      case 'h':
        this.uint32(Number(value) >>> 0);
        return;
      case 'n':
      case 'q': {
        this.pad(2);
        const bytes = Buffer.alloc(2);
        if (head === 'n') bytes.writeInt16LE(Number(value));
        else bytes.writeUInt16LE(Number(value));
        this.push(bytes);
        return;
      }
      case 'x':
      case 't':
      case 'd': {
        this.pad(8);
        const bytes = Buffer.alloc(8);
        if (head === 'd') bytes.writeDoubleLE(Number(value));
        else if (head === 'x') bytes.writeBigInt64LE(BigInt(Number(value)));
        else bytes.writeBigUInt64LE(BigInt(Number(value)));
        this.push(bytes);
        return;
      }
      case 's':
      case 'o': {
        const text = Buffer.from(String(value), 'utf8');
        this.uint32(text.length);
        this.push(Buffer.concat([text, Buffer.alloc(1)]));
        return;
      }
      case 'g': {
        const text = Buffer.from(String(value), 'utf8');
        this.push(Buffer.concat([Buffer.from([text.length]), text, Buffer.alloc(1)]));
        return;
      }
      case 'v': {
        const [signature, inner] = value as [string, WireValue];
        this.write('g', signature);
        this.write(signature, inner);
        return;
      }
      case 'a': {
        const element = type.slice(1);
        const length = this.uint32(0);
        this.pad(ALIGN[element[0] ?? 'y'] ?? 1);
        const start = this.length;
        if (element === 'y') this.push(Buffer.from(value as Uint8Array));
        else for (const item of value as WireValue[]) this.write(element, item);
        length.writeUInt32LE(this.length - start);
        return;
      }
      case '(':
      case '{': {
        this.pad(8);
        const fields = splitSignature(type.slice(1, -1));
        const values = value as WireValue[];
        for (const [index, field] of fields.entries()) this.write(field, values[index] as WireValue);
        return;
      }
      default:
        throw new Error(`unsupported D-Bus type ${type}`);
    }
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Header field codes (the D-Bus specification's table). */
export const FIELD = { path: 1, iface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, signature: 8 };

/** Any message: its type, serial, header fields `[code, [signature, value]]` and body. */
export function encodeMessage(message: {
  type: number;
  serial: number;
  fields: Array<[number, [string, WireValue]]>;
  signature?: string;
  args?: WireValue[];
}): Buffer {
  const body = new Writer();
  const signature = message.signature ?? '';
  for (const [index, type] of splitSignature(signature).entries()) body.write(type, message.args?.[index] as WireValue);
  const fields: WireValue[] = [...message.fields];
  if (signature) fields.push([FIELD.signature, ['g', signature]]);
  const header = new Writer();
  header.write('y', 'l'.charCodeAt(0));
  header.write('y', message.type);
  header.write('y', 0);
  header.write('y', 1);
  header.uint32(body.length);
  header.uint32(message.serial);
  header.write('a(yv)', fields);
  header.pad(8);
  return Buffer.concat([header.bytes(), body.bytes()]);
}

/** A method call message, ready to send. */
export function methodCall(
  serial: number,
  call: { destination: string; path: string; iface: string; member: string; signature?: string; args?: WireValue[] },
): Buffer {
  return encodeMessage({
    type: METHOD_CALL,
    serial,
    fields: [
      [FIELD.path, ['o', call.path]],
      [FIELD.iface, ['s', call.iface]],
      [FIELD.member, ['s', call.member]],
      [FIELD.destination, ['s', call.destination]],
    ],
    ...(call.signature === undefined ? {} : { signature: call.signature }),
    ...(call.args === undefined ? {} : { args: call.args }),
  });
}

/** Reads D-Bus values from a message, with alignment counted from the message start. */
class Reader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
    /** Where this reader's part ends (the header fields' end, or the message's end). */
    private readonly limit: number,
  ) {}

  private align(alignment: number): void {
    const next = this.offset + ((alignment - (this.offset % alignment)) % alignment);
    this.need(next - this.offset);
    // The padding must be zero bytes, as the spec requires.
    for (let at = this.offset; at < next; at++) if (this.bytes[at] !== 0) throw new DBusWireError('non-zero padding');
    this.offset = next;
  }

  private need(count: number): void {
    if (count > this.limit - this.offset) throw new DBusWireError('a value runs past the end of the message');
  }

  uint32(): number {
    this.align(4);
    this.need(4);
    const value = this.bytes.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  private fixed(size: number, read: (at: number) => number | bigint): number {
    this.align(size);
    this.need(size);
    const value = read(this.offset);
    this.offset += size;
    return Number(value);
  }

  private text(length: number, encoding: 'utf8' | 'ascii'): string {
    this.need(length + 1);
    if (this.bytes[this.offset + length] !== 0) throw new DBusWireError('a string without its terminating NUL');
    const text = this.bytes.toString(encoding, this.offset, this.offset + length);
    this.offset += length + 1;
    return text;
  }

  /** Reads one value of `type`, a complete type its caller has checked; `depth` counts the containers around it. */
  read(type: string, depth = 0): WireValue {
    if (depth > MAX_DEPTH) throw new DBusWireError('values nested too deeply');
    const head = type[0];
    switch (head) {
      case 'y':
        this.need(1);
        return this.bytes[this.offset++] as number;
      case 'b': {
        const value = this.uint32();
        if (value > 1) throw new DBusWireError('a boolean other than 0 or 1');
        return value === 1;
      }
      case 'u':
      case 'h':
        return this.uint32();
      case 'i':
        // The same 4 bytes as 'u', read as two's complement (the writer's `>>> 0` undone).
        return this.uint32() | 0;
      case 'n':
        return this.fixed(2, (at) => this.bytes.readInt16LE(at));
      case 'q':
        return this.fixed(2, (at) => this.bytes.readUInt16LE(at));
      case 'x':
        return this.fixed(8, (at) => this.bytes.readBigInt64LE(at));
      case 't':
        return this.fixed(8, (at) => this.bytes.readBigUInt64LE(at));
      case 'd':
        return this.fixed(8, (at) => this.bytes.readDoubleLE(at));
      case 's':
      case 'o':
        return this.text(this.uint32(), 'utf8');
      case 'g': {
        this.need(1);
        return this.text(this.bytes[this.offset++] as number, 'ascii');
      }
      case 'v': {
        const signature = this.read('g') as string;
        checkSingleType(signature);
        return [signature, this.read(signature, depth + 1)];
      }
      case 'a': {
        const element = type.slice(1);
        const length = this.uint32();
        if (length > 2 ** 26) throw new DBusWireError('an array longer than the protocol allows');
        this.align(ALIGN[element[0] ?? 'y'] ?? 1);
        // Checked before anything is read or allocated: the length must fit in the bytes we have.
        this.need(length);
        const end = this.offset + length;
        if (element === 'y') {
          // A plain Uint8Array of its own, as the caller may keep it.
          const copy = new Uint8Array(this.bytes.subarray(this.offset, end));
          this.offset = end;
          return copy;
        }
        const items: WireValue[] = [];
        while (this.offset < end) {
          const before = this.offset;
          items.push(this.read(element, depth + 1));
          // Every complete type takes at least one byte; this guards the loop's end regardless.
          if (this.offset === before) throw new DBusWireError('an array element of no bytes');
        }
        if (this.offset !== end) throw new DBusWireError('an array overruns its length');
        return items;
      }
      case '(':
      case '{': {
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((field) => this.read(field, depth + 1));
      }
      default:
        throw new DBusWireError('an unknown type code');
    }
  }
}

/**
 * The length of the message at the start of `bytes` once its fixed header is there (16 bytes),
 * else `undefined`. Only little-endian messages are accepted.
 */
export function messageLength(bytes: Buffer): number | undefined {
  if (bytes.length < 16) return undefined;
  if (bytes[0] !== 'l'.charCodeAt(0))
    throw new DBusWireError('not a little-endian message (big-endian is not supported)');
  const bodyLength = bytes.readUInt32LE(4);
  const fieldsLength = bytes.readUInt32LE(12);
  const headerEnd = 16 + fieldsLength;
  const length = headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLength;
  if (length > MAX_MESSAGE) throw new DBusWireError('longer than the protocol allows');
  return length;
}

/** The protocol's largest message, 128 MiB. */
const MAX_MESSAGE = 2 ** 27;

/** The value of a header field when it has the type the spec gives that field, else a typed error. */
function fieldValue(fields: WireValue[], code: number, signature: string): WireValue | undefined {
  for (const entry of fields) {
    const [fieldCode, [fieldSignature, value]] = entry as [number, [string, WireValue]];
    if (fieldCode !== code) continue;
    if (fieldSignature !== signature) throw new DBusWireError('a header field of the wrong type');
    return value;
  }
  return undefined;
}

/**
 * Parses one whole message (exactly as long as {@link messageLength} says, else a typed error);
 * the body only when `wanted(replySerial)` says so (default: always), so a message nobody waits
 * for cannot fail the read. Throws only {@link DBusWireError}.
 *
 * @example
 * ```ts
 * const message = parseMessage(bytes.subarray(0, messageLength(bytes)));
 * ```
 */
export function parseMessage(
  bytes: Buffer,
  wanted: (replySerial: number | undefined) => boolean = () => true,
): WireMessage {
  if (messageLength(bytes) !== bytes.length) throw new DBusWireError('its length does not match its header');
  const bodyLength = bytes.readUInt32LE(4);
  const bodyStart = bytes.length - bodyLength;
  const header = new Reader(bytes, 8, bodyStart);
  const serial = header.uint32();
  const fields = header.read('a(yv)') as WireValue[];
  const signature = (fieldValue(fields, FIELD.signature, 'g') as string | undefined) ?? '';
  const replySerial = fieldValue(fields, FIELD.replySerial, 'u') as number | undefined;
  const member = fieldValue(fields, FIELD.member, 's') as string | undefined;
  const errorName = fieldValue(fields, FIELD.errorName, 's') as string | undefined;
  const types = splitSignature(signature);
  let body: WireValue[] = [];
  if (wanted(replySerial)) {
    const reader = new Reader(bytes, bodyStart, bytes.length);
    body = types.map((type) => reader.read(type));
    if (reader.offset !== bytes.length) throw new DBusWireError('a body longer than its signature');
  }
  return { type: bytes[1] as number, serial, replySerial, member, errorName, body };
}
