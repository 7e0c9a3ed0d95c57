/**
 * Where the plugin reports what it does. Every method is optional; missing ones are silent.
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
