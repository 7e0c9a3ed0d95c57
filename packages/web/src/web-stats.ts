import type { TokenFlow } from './partition-keys.js';

/**
 * Counters of one {@link WebClients}, for `/metrics` pages and tests. Monotonic since creation.
 *
 * @example
 * ```ts
 * const { tokenRequests, cacheHits } = clients.stats();
 * ```
 */
export interface WebStats {
  /** Token calls answered from the partition, with no request to the identity provider. */
  cacheHits: number;
  /** Token calls the partition could not answer (each then waited for, or made, a token request). */
  cacheMisses: number;
  /** Requests this process sent to the token endpoint. */
  tokenRequests: number;
  /** Misses served from the cache after waiting for another caller's request (in this process or another). */
  servedByOtherFlight: number;
  /** Application instances built (one or two per token call). */
  clientsBuilt: number;
  /** Partitions deleted by `signOut`. */
  signOuts: number;
  /** Of these, per flow. */
  byFlow: Record<TokenFlow, { cacheHits: number; cacheMisses: number; tokenRequests: number }>;
  /**
   * msal's answers kept in this process (`keptAnswersMaxBytes`): cache hits answered from them
   * without calling msal, the partitions and bytes held now, partitions dropped to make room.
   */
  keptAnswers: { hits: number; partitions: number; bytes: number; evictions: number };
}

/**
 * The part of an OpenTelemetry `Meter` (`@opentelemetry/api` `metrics.getMeter(…)`) this package
 * uses, matched structurally so that nothing loads `@opentelemetry/api` unless the app passes a meter.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const meter: MeterLike = metrics.getMeter('@msal-persist/web');
 * ```
 */
export interface MeterLike {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    add(value: number, attributes?: Record<string, string>): void;
  };
}

type Counter = ReturnType<MeterLike['createCounter']>;

/** Counts into {@link WebStats} and, when given, OpenTelemetry counters named `msal_persist.web.*` with a `flow` attribute. */
export class WebStatsRecorder {
  private keptAnswerHits = 0;
  private readonly counts: Omit<WebStats, 'keptAnswers'> = {
    cacheHits: 0,
    cacheMisses: 0,
    tokenRequests: 0,
    servedByOtherFlight: 0,
    clientsBuilt: 0,
    signOuts: 0,
    byFlow: {
      user: { cacheHits: 0, cacheMisses: 0, tokenRequests: 0 },
      obo: { cacheHits: 0, cacheMisses: 0, tokenRequests: 0 },
      app: { cacheHits: 0, cacheMisses: 0, tokenRequests: 0 },
    },
  };
  private readonly counters:
    | {
        cacheHits: Counter;
        cacheMisses: Counter;
        tokenRequests: Counter;
        servedByOtherFlight: Counter;
        signOuts: Counter;
      }
    | undefined;

  constructor(meter?: MeterLike) {
    this.counters = meter && {
      cacheHits: meter.createCounter('msal_persist.web.cache_hits', {
        description: 'Token calls served from the partition',
      }),
      cacheMisses: meter.createCounter('msal_persist.web.cache_misses', {
        description: 'Token calls the partition could not answer',
      }),
      tokenRequests: meter.createCounter('msal_persist.web.token_requests', {
        description: 'Requests sent to the token endpoint',
      }),
      servedByOtherFlight: meter.createCounter('msal_persist.web.served_by_other_flight', {
        description: 'Misses served from the cache after another caller fetched the token',
      }),
      signOuts: meter.createCounter('msal_persist.web.sign_outs', { description: 'Partitions deleted at sign-out' }),
    };
  }

  hit(flow: TokenFlow): void {
    this.counts.cacheHits++;
    this.counts.byFlow[flow].cacheHits++;
    this.counters?.cacheHits.add(1, { flow });
  }

  miss(flow: TokenFlow): void {
    this.counts.cacheMisses++;
    this.counts.byFlow[flow].cacheMisses++;
    this.counters?.cacheMisses.add(1, { flow });
  }

  tokenRequest(flow: TokenFlow): void {
    this.counts.tokenRequests++;
    this.counts.byFlow[flow].tokenRequests++;
    this.counters?.tokenRequests.add(1, { flow });
  }

  servedByOtherFlight(flow: TokenFlow): void {
    this.counts.servedByOtherFlight++;
    this.counters?.servedByOtherFlight.add(1, { flow });
  }

  /** A hit answered from a kept answer (also counted by {@link WebStatsRecorder.hit}). */
  keptAnswerHit(): void {
    this.keptAnswerHits++;
  }

  clientBuilt(): void {
    this.counts.clientsBuilt++;
  }

  signOut(): void {
    this.counts.signOuts++;
    this.counters?.signOuts.add(1, { flow: 'user' });
  }

  /** A copy: later calls do not change it. `kept`: what the kept answers hold now. */
  snapshot(kept: { partitions: number; bytes: number; evictions: number }): WebStats {
    return { ...structuredClone(this.counts), keptAnswers: { hits: this.keptAnswerHits, ...kept } };
  }
}
