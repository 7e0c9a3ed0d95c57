// Finds secret bytes in what an error would show anyone who logs, prints or serialises it. Pure
// and test-runner free, so scripts and any test framework can use it.

const decoder = new TextDecoder('utf-8', { fatal: false });

function bytesText(bytes: Uint8Array): string {
  // Both readings: UTF-8 for text payloads, Latin-1 so every byte maps to one character.
  let latin1 = '';
  for (let i = 0; i < bytes.byteLength; i++) latin1 += String.fromCharCode(bytes[i] as number);
  return `${decoder.decode(bytes)}\n${latin1}`;
}

function looksLikeBytes(value: unknown[]): value is number[] {
  return value.length > 0 && value.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 255);
}

/**
 * Everything an error (or any value) shows to whoever logs, prints or serialises it: `String()`,
 * `JSON.stringify`, and every own property — enumerable or not, so `message`, `stack` and `cause`
 * too — walked recursively through causes, `errors` of an `AggregateError`, nested objects, and
 * byte arrays (decoded as UTF-8 and as Latin-1).
 *
 * @example
 * ```ts
 * errorSurface(new Error('outer', { cause: new Error('inner') })).includes('inner'); // true
 * ```
 */
export function errorSurface(subject: unknown, maxDepth = 12): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'string') {
      parts.push(value);
      return;
    }
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      parts.push(String(value));
      return;
    }
    if (typeof value === 'symbol' || typeof value === 'function') return;
    if (seen.has(value) || depth > maxDepth) return;
    seen.add(value);
    if (value instanceof Uint8Array) {
      parts.push(bytesText(value));
      return;
    }
    if (value instanceof ArrayBuffer) {
      parts.push(bytesText(new Uint8Array(value)));
      return;
    }
    if (ArrayBuffer.isView(value)) {
      parts.push(bytesText(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
      return;
    }
    if (Array.isArray(value) && looksLikeBytes(value)) parts.push(bytesText(Uint8Array.from(value)));
    try {
      parts.push(String(value));
    } catch {
      // A value whose toString throws shows nothing that way.
    }
    try {
      parts.push(JSON.stringify(value) ?? '');
    } catch {
      // Circular or BigInt: the property walk below still sees every part.
    }
    for (const key of Reflect.ownKeys(value as object)) {
      let child: unknown;
      try {
        child = (value as Record<PropertyKey, unknown>)[key];
      } catch {
        continue;
      }
      if (typeof key === 'string') parts.push(key);
      visit(child, depth + 1);
    }
    // Prototype getters some drivers use to expose a payload (`error.command`).
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto && proto !== Object.prototype && proto !== Error.prototype && !(proto instanceof Error)) {
      for (const key of Reflect.ownKeys(proto as object)) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, key);
        if (!descriptor?.get) continue;
        try {
          visit(descriptor.get.call(value), depth + 1);
        } catch {
          // A throwing getter exposes nothing.
        }
      }
    }
  };
  visit(subject, 0);
  return parts.join('\n');
}

/**
 * The pieces of `secret` at least `window` characters long (default 17: "no sequence longer than
 * 16 bytes") that appear in what `subject` shows ({@link errorSurface}). Empty when nothing leaks.
 *
 * @example
 * ```ts
 * expect(findSecretLeaks(error, cacheJson)).toEqual([]);
 * ```
 */
export function findSecretLeaks(subject: unknown, secret: string | Uint8Array, window = 17): string[] {
  const secretText = typeof secret === 'string' ? secret : decoder.decode(secret);
  if (secretText.length < window) return [];
  const surface = errorSurface(subject);
  const windows = new Set<string>();
  for (let i = 0; i + window <= surface.length; i++) windows.add(surface.slice(i, i + window));
  const leaks: string[] = [];
  for (let i = 0; i + window <= secretText.length; i++) {
    const piece = secretText.slice(i, i + window);
    if (windows.has(piece)) {
      leaks.push(piece);
      i += window - 1;
    }
  }
  return leaks;
}
