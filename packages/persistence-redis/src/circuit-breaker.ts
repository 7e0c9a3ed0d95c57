import { checkNumberOption, isPersistenceError } from '@msal-persist/core';
import { MAX_TIMER_MS } from './redis-client.js';

/**
 * Where a {@link CircuitBreaker} stands: `closed` (calls go to Redis), `open` (Redis failed
 * `failureThreshold` times in a row: calls do not even try, until `openMs` pass), `half-open` (one
 * probe call is let through; its outcome closes or reopens the circuit).
 *
 * @example
 * ```ts
 * if (store.stats().breaker.state === 'open') console.warn('serving from memory');
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Options of the circuit breaker in front of Redis.
 *
 * @example
 * ```ts
 * const breaker: CircuitBreakerOptions = { failureThreshold: 3, openMs: 5_000 };
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive calls failing with `NotAvailable` or `Timeout` that open the circuit. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before one probe tries Redis again. Default 5000. */
  openMs?: number;
}

/**
 * True for the failures that say Redis cannot be reached (`NotAvailable`, `Timeout`): only these
 * count towards opening the circuit. An answer, even an error reply, proves Redis is there.
 *
 * @example
 * ```ts
 * if (isUnavailability(error)) breaker.failed();
 * ```
 */
export function isUnavailability(error: unknown): boolean {
  return isPersistenceError(error, 'NotAvailable') || isPersistenceError(error, 'Timeout');
}

/**
 * A circuit breaker, so that a dead or frozen Redis costs each request nothing once it is known
 * dead: after `failureThreshold` consecutive unavailability failures no call is sent for `openMs`;
 * then exactly one probe goes, and the circuit closes when it succeeds. Counts what it did.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 5_000 });
 * if (!breaker.admit()) return fromMemory();
 * try { const value = await call(); breaker.succeeded(); return value; }
 * catch (error) { breaker.failed(error); throw error; }
 * ```
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly openMs: number;
  /** Times the circuit opened. */
  opened = 0;
  /** Calls refused without trying Redis. */
  shortCircuited = 0;
  private failures = 0;
  private openedAt = Number.NEGATIVE_INFINITY;
  private probing = false;
  private current: CircuitState = 'closed';

  constructor(
    options: CircuitBreakerOptions = {},
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.failureThreshold = checkNumberOption('breaker.failureThreshold', options.failureThreshold, 3, {
      min: 1,
      max: 1_000_000,
    });
    this.openMs = checkNumberOption('breaker.openMs', options.openMs, 5_000, { min: 1, max: MAX_TIMER_MS });
  }

  /** The state now (an open circuit whose `openMs` have passed reads `half-open`). */
  get state(): CircuitState {
    if (this.current === 'open' && this.clock() - this.openedAt >= this.openMs) return 'half-open';
    return this.current;
  }

  /**
   * Whether a call may go to Redis now. A half-open circuit admits one probe at a time: the caller
   * that got `true` must report with {@link CircuitBreaker.succeeded} or {@link CircuitBreaker.failed}.
   */
  admit(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      this.current = 'half-open';
      return true;
    }
    this.shortCircuited++;
    return false;
  }

  /** An admitted call got an answer from Redis. */
  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    this.current = 'closed';
  }

  /**
   * An admitted call was given up by its caller (aborted) before Redis answered: it proves nothing
   * either way, so the count stands, and a probe it was is owed to the next call.
   */
  abandoned(): void {
    this.probing = false;
  }

  /** An admitted call failed; only unavailability counts (anything else is an answer: see {@link isUnavailability}). */
  failed(error: unknown): void {
    if (!isUnavailability(error)) {
      this.succeeded();
      return;
    }
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || this.failures >= this.failureThreshold) {
      if (this.current !== 'open') this.opened++;
      this.current = 'open';
      this.openedAt = this.clock();
    }
  }
}
