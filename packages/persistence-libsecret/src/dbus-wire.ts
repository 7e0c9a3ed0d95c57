// The part of the D-Bus wire format (little-endian) that a Secret Service lookup needs: method
// calls out; method returns, errors and signals in. Types y b u i s o g v a ( ) { } only.

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

const ALIGN: Record<string, number> = { y: 1, b: 4, u: 4, i: 4, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8 };

/** Splits a signature into its complete types: `a{ss}o` → [`a{ss}`, `o`]. */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  let index = 0;
  while (index < signature.length) {
    const end = completeTypeEnd(signature, index);
    types.push(signature.slice(index, end));
    index = end;
  }
  return types;
}

function completeTypeEnd(signature: string, start: number, depth = 0): number {
  // The spec's limit is 32 nested arrays plus 32 nested structs.
  if (depth > 64) throw new Error('D-Bus signature nested too deeply');
  const head = signature[start];
  if (head === 'a') return completeTypeEnd(signature, start + 1, depth + 1);
  if (head === '(' || head === '{') {
    const close = head === '(' ? ')' : '}';
    let index = start + 1;
    let fields = 0;
    while (signature[index] !== close) {
      if (index >= signature.length) throw new Error('unterminated signature');
      index = completeTypeEnd(signature, index, depth + 1);
      fields++;
    }
    // An empty struct is not a type; a dict entry is exactly a key and a value.
    if (fields === 0 || (head === '{' && fields !== 2)) throw new Error('malformed D-Bus signature');
    return index + 1;
  }
  if (head === undefined || !(head in ALIGN)) throw new Error(`unsupported D-Bus type ${head ?? '(end)'}`);
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
        this.uint32(Number(value) >>> 0);
        return;
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
    public offset = 0,
  ) {}

  private align(alignment: number): void {
    this.offset += (alignment - (this.offset % alignment)) % alignment;
  }

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw new Error('truncated D-Bus message');
  }

  uint32(): number {
    this.align(4);
    this.need(4);
    const value = this.bytes.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  read(type: string): WireValue {
    const head = type[0];
    switch (head) {
      case 'y':
        this.need(1);
        return this.bytes[this.offset++] as number;
      case 'b':
        return this.uint32() !== 0;
      case 'u':
        return this.uint32();
      case 'i':
        // The same 4 bytes as 'u', read as two's complement (the writer's `>>> 0` undone).
        return this.uint32() | 0;
      case 's':
      case 'o': {
        const length = this.uint32();
        this.need(length + 1);
        const text = this.bytes.toString('utf8', this.offset, this.offset + length);
        this.offset += length + 1;
        return text;
      }
      case 'g': {
        this.need(1);
        const length = this.bytes[this.offset++] as number;
        this.need(length + 1);
        const text = this.bytes.toString('ascii', this.offset, this.offset + length);
        this.offset += length + 1;
        return text;
      }
      case 'v': {
        const signature = this.read('g') as string;
        return [signature, this.read(signature)];
      }
      case 'a': {
        const element = type.slice(1);
        const length = this.uint32();
        this.align(ALIGN[element[0] ?? 'y'] ?? 1);
        const end = this.offset + length;
        this.need(length);
        if (element === 'y') {
          // A plain Uint8Array of its own, as the caller may keep it.
          const copy = new Uint8Array(this.bytes.subarray(this.offset, end));
          this.offset = end;
          return copy;
        }
        const items: WireValue[] = [];
        while (this.offset < end) items.push(this.read(element));
        if (this.offset !== end) throw new Error('a D-Bus array overruns its length');
        return items;
      }
      case '(':
      case '{': {
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((field) => this.read(field));
      }
      default:
        throw new Error(`unsupported D-Bus type ${type}`);
    }
  }
}

/**
 * The length of the message at the start of `bytes` once its fixed header is there (16 bytes),
 * else `undefined`. Only little-endian messages are accepted.
 */
export function messageLength(bytes: Buffer): number | undefined {
  if (bytes.length < 16) return undefined;
  if (bytes[0] !== 'l'.charCodeAt(0)) throw new Error('big-endian D-Bus messages are not supported');
  const bodyLength = bytes.readUInt32LE(4);
  const fieldsLength = bytes.readUInt32LE(12);
  const headerEnd = 16 + fieldsLength;
  const length = headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLength;
  if (length > MAX_MESSAGE) throw new Error('a D-Bus message longer than the protocol allows');
  return length;
}

/** The protocol's largest message, 128 MiB. */
const MAX_MESSAGE = 2 ** 27;

/**
 * Parses one whole message (as long as {@link messageLength} says); the body only when
 * `wanted(replySerial)` says so (default: always), so a message nobody waits for cannot fail the read.
 */
export function parseMessage(
  bytes: Buffer,
  wanted: (replySerial: number | undefined) => boolean = () => true,
): WireMessage {
  const reader = new Reader(bytes, 8);
  const serial = reader.uint32();
  const fields = reader.read('a(yv)') as Array<[number, [string, WireValue]]>;
  const field = (code: number) => fields.find(([fieldCode]) => fieldCode === code)?.[1][1];
  const bodyLength = bytes.readUInt32LE(4);
  const bodyStart = bytes.length - bodyLength;
  const signature = (field(FIELD.signature) as string | undefined) ?? '';
  const replySerial = field(FIELD.replySerial) as number | undefined;
  const body = new Reader(bytes, bodyStart);
  return {
    type: bytes[1] as number,
    serial,
    replySerial,
    member: field(FIELD.member) as string | undefined,
    errorName: field(FIELD.errorName) as string | undefined,
    body: wanted(replySerial) ? splitSignature(signature).map((type) => body.read(type)) : [],
  };
}
