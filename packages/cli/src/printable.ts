/**
 * Control characters, and the Unicode ones that reorder or break lines: a terminal acts on them
 * (ESC sequences retitle the window, clear the screen, or worse), so text we did not write (a lock
 * file's program name, names read from a cache) must not reach it raw.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** {@link UNSAFE} but C0, which `JSON.stringify` escapes in strings and uses itself (newlines) between them. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const escaped = (character: string) => {
  const code = character.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `text` with every control character shown as an escape (`\x1b`), so it prints as inert text.
 *
 * @example
 * ```ts
 * printable('evil\u001b[2J'); // 'evil\\x1b[2J'
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/**
 * A copy of `value` with {@link printable} applied to every string in it, for a report rendered
 * as text (our own styling is added afterwards, so it survives).
 *
 * @example
 * ```ts
 * renderInspect(printableCopy(report), style, verbose);
 * ```
 */
export function printableCopy<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((item) => printableCopy(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, printableCopy(item)])) as T;
  }
  return value;
}

/**
 * JSON text whose strings hold no raw control character: `JSON.stringify` escapes C0 ones only,
 * so C1 (`\u009b`, a one-byte CSI) and the line and direction controls are escaped here too. The
 * result is the same JSON value.
 *
 * @example
 * ```ts
 * stdout.write(safeJson(report));
 * ```
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (character) => {
    return `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
  });
}
