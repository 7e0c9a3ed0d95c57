/**
 * Whether this run tests against a real Secret Service, and if not, why.
 *
 * @example
 * ```ts
 * const mode: SecretServiceTestMode = { run: false, skipReason: 'MSAL_PERSIST_SKIP_SECRET_SERVICE=1 is set' };
 * ```
 */
export interface SecretServiceTestMode {
  /** True when the real Secret Service tests must run (and fail when none is reachable). */
  run: boolean;
  /** Why they do not run. */
  skipReason?: string;
}

/** The environment variable that opts a Linux run out of the real Secret Service tests. */
export const SKIP_SECRET_SERVICE_FLAG = 'MSAL_PERSIST_SKIP_SECRET_SERVICE';

/**
 * On Linux the real Secret Service tests always run, so a machine without one fails them instead
 * of passing with skips; `MSAL_PERSIST_SKIP_SECRET_SERVICE=1` is the explicit opt-out. Elsewhere
 * they cannot run.
 *
 * @example
 * ```ts
 * const mode = secretServiceTestMode();
 * describe.runIf(mode.run)('on a real Secret Service', () => { … });
 * ```
 */
export function secretServiceTestMode(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: string = process.platform,
): SecretServiceTestMode {
  if (platform !== 'linux') return { run: false, skipReason: `the Secret Service is Linux-only (this is ${platform})` };
  if (env[SKIP_SECRET_SERVICE_FLAG] === '1') return { run: false, skipReason: `${SKIP_SECRET_SERVICE_FLAG}=1 is set` };
  return { run: true };
}

/**
 * What a test file prints when it skips real Secret Service tests: which ones and why, so a
 * skip never passes unnoticed. Returns the line; prints it when `print` is true (the default).
 *
 * @example
 * ```ts
 * skippedNotice(mode, 'keytar-layout interop (2 tests)');
 * ```
 */
export function skippedNotice(mode: SecretServiceTestMode, what: string, print = true): string | undefined {
  if (mode.run) return undefined;
  const line = `SKIPPED (${mode.skipReason}): ${what}`;
  if (print) console.warn(line);
  return line;
}
