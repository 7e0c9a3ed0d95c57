import { isPersistenceError } from '@msal-persist/msal-plugin';
import { ExitCode } from './exit-codes.js';

/**
 * A failure the user can act on: one line saying what failed, the fix, and the exit code.
 *
 * @example
 * ```ts
 * throw new CliError('No cache at /x.', 'Check --cache-path.', ExitCode.StoreUnavailable);
 * ```
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** What to do about it, in one sentence or one command. */
  readonly fix: string | undefined;
  /** The process exit code. */
  readonly exitCode: ExitCode;
  /** The `PersistenceError` code behind it, when there is one. */
  readonly code: string | undefined;

  constructor(message: string, fix: string | undefined, exitCode: ExitCode, code?: string) {
    super(message);
    this.fix = fix;
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** A message on one line: the first line, without a trailing period doubled by what follows. */
export function oneLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/**
 * Any thrown value as a {@link CliError}: `PersistenceError`s keep their code and message (which
 * say what to do), `LockTimeout` exits with {@link ExitCode.LockBusy}, anything else is a bug.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (isPersistenceError(error)) {
    const message = oneLine(error.message.replace(`[${error.backend}] `, ''));
    if (error.code === 'LockTimeout') {
      return new CliError(
        message,
        'Retry when the other process is done, or raise --lock-timeout.',
        ExitCode.LockBusy,
        error.code,
      );
    }
    return new CliError(message, undefined, ExitCode.StoreUnavailable, error.code);
  }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CliError(
    `Unexpected failure (${oneLine(detail)}).`,
    'This is a bug: please report it with the command you ran and `msal-persist --version`.',
    ExitCode.Internal,
  );
}
