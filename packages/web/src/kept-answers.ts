import { randomUUID } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { AuthenticationResult } from '@azure/msal-node';
import type { CachePartition } from '@msal-persist/core';

/** msal's answer from a partition's cache, kept with the partition's stamp when msal read it. */
export interface KeptAnswer {
  readonly stamp: string;
  /** `Date.now()` when kept: a clock turned back since makes msal renew, so it is not served. */
  readonly keptAt: number;
  /** The token's `expiresOn` and `refreshOn` (ms since the epoch), for {@link servable} without reading `result`. */
  readonly expiresAt: number;
  readonly refreshAt: number | undefined;
  /**
   * msal's answer, serialized (`v8.serialize`: dates, maps and undefined values come back as they
   * were): one buffer instead of some sixty objects per answer, so that a process keeping answers
   * for 100,000 partitions does not have a collector walking millions of objects, and a hit reads
   * one contiguous block instead of objects scattered over the heap.
   */
  readonly result: Buffer;
  /** What the answer is charged against the budget: the buffer and {@link ANSWER_OVERHEAD}. */
  readonly bytes: number;
}

/** A partition's kept answers, one per scope set (insertion order is recency), and the partition to stamp. */
interface PartitionAnswers {
  readonly partition: CachePartition;
  readonly byScopes: Map<string, KeptAnswer>;
  bytes: number;
}

/**
 * msal-node's renewal window (`DEFAULT_TOKEN_RENEWAL_OFFSET_SEC`, not an option of msal-node): a
 * token expiring within it is renewed, never served.
 */
const RENEWAL_OFFSET_MS = 300_000;

/** Answers kept per partition (one per scope set asked for); the oldest goes first. */
const ANSWERS_PER_PARTITION = 8;

/**
 * Memory an answer holds besides its serialized bytes (outside the heap): its record, the buffer's
 * objects, its key, and its partition's record when it is the partition's only answer. Measured:
 * ≈ 630 bytes of heap and 3.25 KB of buffer per answer with the fake endpoint's tokens (20,000
 * partitions with one answer each, difference after a full GC, Node 20).
 */
const ANSWER_OVERHEAD = 640;

/**
 * Whether msal would still serve the kept token from its cache now, by its own rules: not expired
 * nor within the renewal window, its refresh time (`refresh_in`) not passed, the clock not turned
 * back since it was kept.
 */
function servable(answer: KeptAnswer, now: number): boolean {
  if (now < answer.keptAt || answer.expiresAt <= now + RENEWAL_OFFSET_MS) return false;
  return answer.refreshAt === undefined || answer.refreshAt > now;
}

/**
 * Whether a request asks for nothing but tokens for its scopes: only then is a kept answer the one
 * msal would give. `own` is the flow's own field (`homeAccountId`, `oboAssertion`).
 */
export function plainRequest(request: object, own: string): boolean {
  return Object.entries(request).every(
    ([name, value]) => value === undefined || name === 'scopes' || name === 'correlationId' || name === own,
  );
}

/**
 * msal's answer serialized into a buffer of its own, of its exact size (`v8.serialize` hands out
 * its growing buffer, which may hold twice that), or `undefined` for an answer that cannot be
 * serialized (a value a later msal might add): keeping answers is only a shortcut, never a failure.
 */
function serializedCopy(result: AuthenticationResult): Buffer | undefined {
  let serialized: Buffer;
  try {
    serialized = serialize(result);
  } catch {
    return undefined;
  }
  const exact = Buffer.allocUnsafeSlow(serialized.byteLength);
  serialized.copy(exact);
  return exact;
}

/** The caller's own copy of a kept answer, with its correlation id (a new one when it gave none). */
export function answerFor(answer: KeptAnswer, correlationId: string | undefined): AuthenticationResult {
  const result = deserialize(answer.result) as AuthenticationResult;
  result.correlationId = correlationId ?? randomUUID();
  result.fromCache = true;
  return result;
}

/**
 * msal's last answers per partition and scope set, least recently used partition first, within a
 * byte budget: a repeated plain request is answered from here, whether or not its partition keeps
 * a warm msal instance. Each answer carries the partition's stamp when msal read the cache, and is
 * given only while the stamp has not moved and msal would still serve the token ({@link servable}).
 *
 * @example
 * ```ts
 * const answers = new KeptAnswers(64 * 1024 * 1024);
 * answers.keep(partition, 'user.read', stamp, result);
 * const found = answers.find(partition.key, 'user.read', Date.now());
 * ```
 */
export class KeptAnswers {
  /** Partitions dropped to stay within the budget. */
  evictions = 0;
  private readonly partitions = new Map<string, PartitionAnswers>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  /** The answer kept for `scopeKey` in partition `key` that msal would still serve at `now`, and its partition. */
  find(key: string, scopeKey: string, now: number): { partition: CachePartition; answer: KeptAnswer } | undefined {
    const entry = this.partitions.get(key);
    const answer = entry?.byScopes.get(scopeKey);
    if (!entry || !answer || !servable(answer, now)) return undefined;
    // Re-inserting moves it to the end of the Map's order: the most recently used.
    this.partitions.delete(key);
    this.partitions.set(key, entry);
    entry.byScopes.delete(scopeKey);
    entry.byScopes.set(scopeKey, answer);
    return { partition: entry.partition, answer };
  }

  /** Keeps msal's answer for `scopeKey`, read from `partition` at `stamp`, as a copy nobody else holds. */
  keep(partition: CachePartition, scopeKey: string, stamp: string, result: AuthenticationResult): void {
    let entry = this.partitions.get(partition.key);
    // Whatever happens below, an older answer for these scopes is not given again.
    if (entry) this.remove(entry, scopeKey);
    // msal renews a token without an expiry: nothing to keep.
    const serialized = result.expiresOn ? serializedCopy(result) : undefined;
    const bytes = ANSWER_OVERHEAD + (serialized?.byteLength ?? 0);
    if (!serialized || !result.expiresOn || bytes > this.maxBytes) {
      if (entry?.byScopes.size === 0) this.forget(partition.key);
      return;
    }
    if (entry) this.partitions.delete(partition.key);
    else entry = { partition, byScopes: new Map(), bytes: 0 };
    this.partitions.set(partition.key, entry);
    entry.byScopes.set(scopeKey, {
      stamp,
      keptAt: Date.now(),
      expiresAt: result.expiresOn.getTime(),
      refreshAt: result.refreshOn?.getTime(),
      result: serialized,
      bytes,
    });
    entry.bytes += bytes;
    this.used += bytes;
    if (entry.byScopes.size > ANSWERS_PER_PARTITION) this.remove(entry, entry.byScopes.keys().next().value ?? '');
    this.trim(entry);
  }

  /** Forgets partition `key`'s answers (its user signed out here). */
  forget(key: string): void {
    const entry = this.partitions.get(key);
    if (!entry) return;
    this.partitions.delete(key);
    this.used -= entry.bytes;
  }

  /** Partitions with answers, the bytes charged for them, and partitions dropped to make room. */
  size(): { partitions: number; bytes: number; evictions: number } {
    return { partitions: this.partitions.size, bytes: this.used, evictions: this.evictions };
  }

  private remove(entry: PartitionAnswers, scopeKey: string): void {
    const answer = entry.byScopes.get(scopeKey);
    if (!answer) return;
    entry.byScopes.delete(scopeKey);
    entry.bytes -= answer.bytes;
    this.used -= answer.bytes;
  }

  /**
   * Drops least recently used partitions until within budget, `current` (just kept) last; of
   * `current`, its least recently used answers, never the one just kept (which fits on its own).
   */
  private trim(current: PartitionAnswers): void {
    for (const [key, entry] of this.partitions) {
      if (this.used <= this.maxBytes) return;
      if (entry === current) continue;
      this.partitions.delete(key);
      this.used -= entry.bytes;
      this.evictions++;
    }
    for (const scopeKey of current.byScopes.keys()) {
      if (this.used <= this.maxBytes || current.byScopes.size === 1) return;
      this.remove(current, scopeKey);
    }
  }
}
