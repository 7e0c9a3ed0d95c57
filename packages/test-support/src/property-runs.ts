/** How many times `MSAL_PERSIST_DEEP=1` (`pnpm test:deep`) multiplies every property's runs. */
const DEEP_FACTOR = 50;

/**
 * The number of runs for a fast-check property: `base` in `pnpm test` (seconds on a loaded
 * 2-core machine), `base` × 50 with `MSAL_PERSIST_DEEP=1` (`pnpm test:deep`).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.uint8Array(), check), { numRuns: propertyRuns(200) });
 * ```
 */
export function propertyRuns(base: number): number {
  const deep = process.env.MSAL_PERSIST_DEEP;
  return deep !== undefined && deep !== '' && deep !== '0' ? base * DEEP_FACTOR : base;
}

/**
 * A test timeout that grows with {@link propertyRuns}: `baseMs` in `pnpm test`, × 50 with
 * `MSAL_PERSIST_DEEP=1`, so a deep run is never cut short by the default timeout.
 *
 * @example
 * ```ts
 * it('round-trips', async () => { ... }, propertyTimeoutMs(30_000));
 * ```
 */
export function propertyTimeoutMs(baseMs: number): number {
  return propertyRuns(baseMs);
}
