/**
 * Colours for a stream: only on a terminal, never with `NO_COLOR` set (https://no-color.org) or
 * `TERM=dumb`. Each function returns its text unchanged when colours are off.
 *
 * @example
 * ```ts
 * const style = styleFor(process.stdout, process.env);
 * console.log(style.green('ok'));
 * ```
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** The {@link Style} for writing to `stream` in `env`. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  const enabled = stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  if (!enabled) return { enabled, bold: plain, dim: plain, green: plain, yellow: plain, red: plain };
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), yellow: sgr(33, 39), red: sgr(31, 39) };
}
