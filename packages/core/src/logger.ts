/**
 * Where the plugin reports what it does. Every method is optional; missing ones are silent, and a
 * missing `debug` also costs nothing: debug lines are not even built without it.
 *
 * @example
 * ```ts
 * const logger: Logger = { warn: (m) => console.warn(m), error: (m) => console.error(m) };
 * ```
 */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}

/**
 * msal's `LoggerOptions` (`system.loggerOptions` of a msal-node application), matched
 * structurally so core needs no msal-node at run time: pass the object you give msal.
 *
 * @example
 * ```ts
 * const loggerOptions: LoggerOptions = { loggerCallback: (level, message) => console.log(level, message), logLevel: 3 };
 * ```
 */
export interface LoggerOptions {
  /** Receives every line at `logLevel` or more severe; `containsPii` is always `false`: no line holds personal data or a token. */
  loggerCallback?: (level: number, message: string, containsPii: boolean) => void;
  /** Accepted for msal compatibility; nothing logged here is personal data, so it changes nothing. */
  piiLoggingEnabled?: boolean;
  /** msal's `LogLevel`: 0 Error, 1 Warning, 2 Info (default), 3 Verbose (our debug lines), 4 Trace. */
  logLevel?: number;
  /** Accepted for msal compatibility; unused. */
  correlationId?: string;
}

/**
 * The default logger: warnings and errors to the console, nothing else. Pass `{}` to silence it.
 *
 * @example
 * ```ts
 * new PersistenceCachePlugin({ persistence, lock, logger: consoleLogger });
 * ```
 */
export const consoleLogger: Logger = {
  warn: (message) => console.warn(`msal-persist: ${message}`),
  error: (message) => console.error(`msal-persist: ${message}`),
};

// msal's LogLevel values.
const ERROR = 0;
const WARNING = 1;
const INFO = 2;
const VERBOSE = 3;

/** True for msal's `LoggerOptions` shape rather than a {@link Logger}: it has one of msal's field names. */
function isLoggerOptions(value: Logger | LoggerOptions): value is LoggerOptions {
  return 'loggerCallback' in value || 'logLevel' in value || 'piiLoggingEnabled' in value || 'correlationId' in value;
}

/**
 * The {@link Logger} for what a user passed: a `Logger` as it is; msal's {@link LoggerOptions} as
 * a `Logger` whose lines go to `loggerCallback` when within `logLevel` (default Info, as msal's),
 * with debug lines at Verbose; `LoggerOptions` without a callback, or nothing, the console
 * (warnings and errors). Levels outside `logLevel` are left undefined, so they cost nothing.
 *
 * @example
 * ```ts
 * const logger = resolveLogger({ loggerCallback: (level, message) => console.log(level, message), logLevel: 3 });
 * logger.debug?.('reloaded'); // → loggerCallback(3, 'reloaded', false)
 * ```
 */
export function resolveLogger(logger: Logger | LoggerOptions | undefined): Logger {
  if (logger === undefined) return consoleLogger;
  if (!isLoggerOptions(logger)) return logger;
  const callback = logger.loggerCallback;
  if (!callback) return consoleLogger;
  const threshold = logger.logLevel ?? INFO;
  const resolved: Logger = {};
  if (ERROR <= threshold) resolved.error = (message) => callback(ERROR, message, false);
  if (WARNING <= threshold) resolved.warn = (message) => callback(WARNING, message, false);
  if (INFO <= threshold) resolved.info = (message) => callback(INFO, message, false);
  if (VERBOSE <= threshold) resolved.debug = (message) => callback(VERBOSE, message, false);
  return resolved;
}
