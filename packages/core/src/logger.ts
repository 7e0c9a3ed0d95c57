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
 * A {@link Logger} over msal's {@link LoggerOptions}: lines go to `loggerCallback` when within
 * `logLevel` (default Info, as msal's), debug lines at Verbose; without a callback, the console
 * (warnings and errors). Levels outside `logLevel` are left undefined, so they cost nothing.
 *
 * @example
 * ```ts
 * const logger = loggerFromOptions({ loggerCallback: (level, message) => console.log(level, message), logLevel: 3 });
 * logger.debug?.('reloaded'); // → loggerCallback(3, 'reloaded', false)
 * ```
 */
export function loggerFromOptions(options: LoggerOptions | undefined): Logger {
  const callback = options?.loggerCallback;
  if (!callback) return consoleLogger;
  const threshold = options.logLevel ?? INFO;
  const logger: Logger = {};
  if (ERROR <= threshold) logger.error = (message) => callback(ERROR, message, false);
  if (WARNING <= threshold) logger.warn = (message) => callback(WARNING, message, false);
  if (INFO <= threshold) logger.info = (message) => callback(INFO, message, false);
  if (VERBOSE <= threshold) logger.debug = (message) => callback(VERBOSE, message, false);
  return logger;
}

/**
 * The {@link Logger} for a `logger` option: a `Logger` as it is, msal's {@link LoggerOptions}
 * through {@link loggerFromOptions}, nothing as the console (warnings and errors).
 *
 * @example
 * ```ts
 * resolveLogger({}); // a silent Logger
 * resolveLogger({ loggerCallback, logLevel: 3 }); // msal's shape: debug lines at Verbose
 * ```
 */
export function resolveLogger(logger: Logger | LoggerOptions | undefined): Logger {
  if (logger === undefined) return consoleLogger;
  return isLoggerOptions(logger) ? loggerFromOptions(logger) : logger;
}
