import { isPersistenceError, PersistenceError } from '@msal-persist/core';
import { type CircuitBreaker, isUnavailability } from './circuit-breaker.js';
import type { PartitionKeys } from './keys.js';
import type { StoreCounters } from './partition-stats.js';
import type { PartitionEntry, PartitionTable } from './partition-table.js';

/**
 * What every partition of one `RedisPartitionedStore` shares: its table of entries (with the L1),
 * the circuit breaker, the counters, and the failure policy. Partitions hold their keys and this,
 * never the raw partition key.
 *
 * @example
 * ```ts
 * const value = await context.guarded(() => entry.persistence.stamp(), () => entry.version ?? 'unavailable');
 * ```
 */
export class PartitionContext {
  /**
   * Set when a call found Redis unavailable, cleared by the next answer: the subscription may not
   * have noticed yet (a dead server's socket can still read as connected), so until Redis answers
   * again no version is trusted from memory alone.
   */
  private suspect = false;
  private closed = false;

  constructor(
    readonly where: string,
    readonly table: PartitionTable,
    readonly breaker: CircuitBreaker,
    readonly counters: StoreCounters,
    readonly failOpen: boolean,
    readonly maxStalenessMs: number,
    readonly lockTimeoutMs: number,
    private readonly freshness: { deliveredUpTo(): number; readonly maxAgeMs: number },
  ) {}

  /** Whether background work may go to Redis now: the breaker closed, and no call just found Redis unavailable. */
  get healthy(): boolean {
    return !this.closed && !this.suspect && this.breaker.state === 'closed';
  }

  /** Whether the store was closed: from then on every call rejects (see {@link PartitionContext.close}). */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The store was closed: every later call rejects with {@link PartitionContext.closedError}, under
   * `fail-open` too. A closed store is gone, not down: serving memory would hide the app's mistake,
   * keep saves nobody will ever write, and on a caller's own client (left open) reach Redis still.
   */
  close(): void {
    this.closed = true;
  }

  /** The entry of `keys`, made on first use; rejects once the store is closed. */
  entry(keys: PartitionKeys, backend: string): PartitionEntry {
    if (this.closed) throw this.closedError(backend);
    const entry = this.table.get(keys);
    entry.usedAt = performance.now();
    return entry;
  }

  /** The version of `entry` if the store's notifications say it is current now, else `undefined`. */
  knownVersion(entry: PartitionEntry): string | undefined {
    if (this.suspect) return undefined;
    const { freshness } = this;
    return entry.watch.current(performance.now(), this.maxStalenessMs, {
      deliveredUpTo: freshness.deliveredUpTo(),
      maxAgeMs: freshness.maxAgeMs,
    });
  }

  /** The L1 copy of `entry` if the store's notifications say it is current now, else `undefined`. */
  currentCopy(entry: PartitionEntry): Uint8Array | null | undefined {
    if (entry.bytes === undefined) return undefined;
    const known = this.knownVersion(entry);
    return known !== undefined && known === entry.version ? entry.bytes : undefined;
  }

  /**
   * Runs `call` against Redis through the circuit breaker. When Redis is unavailable (the circuit
   * is open, or the call fails with `NotAvailable`/`Timeout`) it answers with `fallback` under
   * `fail-open`, and rejects under `fail-closed` (or when there is no `fallback`).
   */
  async guarded<T>(backend: string, call: () => T | Promise<T>, fallback?: () => T): Promise<T> {
    if (this.closed) throw this.closedError(backend);
    if (!this.breaker.admit()) {
      if (this.failOpen && fallback) return fallback();
      throw this.unavailable(backend);
    }
    try {
      const value = await call();
      this.breaker.succeeded();
      this.suspect = false;
      return value;
    } catch (error) {
      // Closed while the call was under way: its failure is the close, not an outage.
      if (this.closed) throw this.closedError(backend);
      if (isPersistenceError(error, 'Aborted')) {
        this.breaker.abandoned();
        throw error;
      }
      this.breaker.failed(error);
      if (!isUnavailability(error)) throw error;
      this.suspect = true;
      this.counters.unavailable++;
      if (this.failOpen && fallback) return fallback();
      throw error;
    }
  }

  /** The error of a call on a closed store. */
  closedError(backend: string): PersistenceError {
    return new PersistenceError(
      'NotAvailable',
      `The partitioned store on Redis at ${this.where} was closed (close()); create a new one.`,
      { backend },
    );
  }

  /** The error of a call the open circuit refused. */
  unavailable(backend: string): PersistenceError {
    return new PersistenceError(
      'NotAvailable',
      `Redis at ${this.where} is unavailable: ${this.breaker.failureThreshold} calls in a row failed, so calls fail at once ` +
        `for ${this.breaker.openMs} ms (circuit breaker open) before one tries again. Check that redis-server is running and reachable, ` +
        "or choose onUnavailable: 'fail-open' to serve from memory meanwhile.",
      { backend },
    );
  }
}
