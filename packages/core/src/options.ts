/**
 * Limits for {@link checkNumberOption}.
 *
 * @example
 * ```ts
 * const limits: NumberOptionLimits = { min: 1, integer: true };
 * ```
 */
export interface NumberOptionLimits {
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** Accept whole numbers only. Default `true`. */
  integer?: boolean;
}

/**
 * Validates a numeric option and returns it, or `fallback` when it is `undefined`. A wrong value is
 * a programming error, so it throws a `TypeError` (or `RangeError`) naming the option, the value
 * and what is accepted — never a `PersistenceError`, which is for what happens at run time.
 *
 * @example
 * ```ts
 * const staleMs = checkNumberOption('lockStaleMs', options.lockStaleMs, 30_000, { min: 100 });
 * ```
 */
export function checkNumberOption(
  name: string,
  value: unknown,
  fallback: number,
  limits: NumberOptionLimits = {},
): number {
  if (value === undefined) return fallback;
  const integer = limits.integer ?? true;
  const kind = integer ? 'an integer' : 'a number';
  const { min, max } = limits;
  const accepted =
    min !== undefined && max !== undefined
      ? `${kind} from ${min} to ${max}`
      : min !== undefined
        ? `${kind} >= ${min}`
        : max !== undefined
          ? `${kind} <= ${max}`
          : kind;
  const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${name} must be ${accepted}, got ${shown}.`);
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    throw new RangeError(`${name} must be ${accepted}, got ${shown}.`);
  }
  return value;
}
