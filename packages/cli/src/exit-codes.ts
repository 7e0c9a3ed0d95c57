/**
 * The exit codes of `msal-persist`, stable across releases: scripts may rely on them.
 *
 * @example
 * ```ts
 * process.exitCode = ExitCode.NoEncryptedBackend;
 * ```
 */
export const ExitCode = {
  /** Done; for `doctor`: an encrypted backend works here. */
  Ok: 0,
  /** An unexpected failure (a bug): the message says where to report it. */
  Internal: 1,
  /** Bad usage: unknown command or option, a bad value, or `clear` off a terminal without `--yes`. */
  Usage: 2,
  /** `doctor`: no encrypted backend works here (at most the plaintext fallback). */
  NoEncryptedBackend: 3,
  /** The cache's store cannot be used: not available, locked keyring, access denied, I/O error. */
  StoreUnavailable: 4,
  /** `clear`: another process held the cache lock past `--lock-timeout`. */
  LockBusy: 5,
  /** `clear`: not confirmed at the prompt; nothing was removed. */
  Cancelled: 6,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The table `--help` prints and the README repeats. */
export const EXIT_CODES_HELP = `Exit codes:
  0  done; doctor: an encrypted backend works here
  1  unexpected failure (a bug: please report it)
  2  bad usage (unknown option, bad value, clear off a terminal without --yes)
  3  doctor: no encrypted backend works here (plaintext fallback at most)
  4  the cache's store cannot be used (not available, keyring locked, access denied, I/O)
  5  clear: the cache lock stayed held by another process past --lock-timeout
  6  clear: not confirmed; nothing removed`;
