import { consoleLogger, type Logger } from '@msal-persist/core';

/**
 * msal's `LoggerOptions`, matched structurally so this entry has no runtime dependency on msal:
 * pass the same object you give msal's `system.loggerOptions`.
 *
 * @example
 * ```ts
 * const loggerOptions: LoggerOptions = { loggerCallback: (level, message) => console.log(level, message), logLevel: 1 };
 * ```
 */
export interface LoggerOptions {
  /** Receives every message at `logLevel` or more severe; `containsPii` is always `false` here. */
  loggerCallback?: (level: number, message: string, containsPii: boolean) => void;
  /** Accepted for compatibility; this module never logs personal data. */
  piiLoggingEnabled?: boolean;
  /** msal's `LogLevel`: 0 Error, 1 Warning, 2 Info (default), 3 Verbose, 4 Trace. */
  logLevel?: number;
  /** Accepted for compatibility; unused. */
  correlationId?: string;
}

// msal's LogLevel values.
const ERROR = 0;
const WARNING = 1;
const INFO = 2;
const VERBOSE = 3;

/**
 * Our {@link Logger} over msal `LoggerOptions`: messages go to `loggerCallback` when their level is
 * within `logLevel` (default Info, as in `@azure/msal-node-extensions`). Without a callback,
 * warnings and errors go to the console.
 *
 * @example
 * ```ts
 * const logger = loggerFromOptions({ loggerCallback: (level, message) => console.log(level, message) });
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
