/**
 * What adapters accept as bytes: a string (UTF-8), an `ArrayBuffer` or any view (Buffer, Uint8Array).
 *
 * @example
 * ```ts
 * const input: BinaryInput = '{"Account":{}}';
 * ```
 */
export type BinaryInput = string | ArrayBuffer | ArrayBufferView;

const encoder = new TextEncoder();

/**
 * Normalises bytes at a port boundary to a `Uint8Array` without copying views.
 *
 * @example
 * ```ts
 * toBytes('{}'); // Uint8Array [123, 125]
 * ```
 */
export function toBytes(data: BinaryInput): Uint8Array {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * True for an empty string or zero-length buffer, which every backend treats as "no cache".
 *
 * @example
 * ```ts
 * isEmpty(new Uint8Array(0)); // true
 * ```
 */
export function isEmpty(data: BinaryInput): boolean {
  return typeof data === 'string' ? data.length === 0 : data.byteLength === 0;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 encodes a serialized cache.
 *
 * @example
 * ```ts
 * await persistence.save(textToBytes(tokenCache.serialize()));
 * ```
 */
export function textToBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Strict UTF-8 decode: throws a `TypeError` on invalid sequences instead of inventing U+FFFD,
 * so damaged bytes are detected as corrupt rather than half-parsed.
 *
 * @example
 * ```ts
 * bytesToText(new Uint8Array([123, 125])); // '{}'
 * ```
 */
export function bytesToText(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}
