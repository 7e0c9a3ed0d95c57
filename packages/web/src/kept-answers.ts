import { randomUUID } from 'node:crypto';
import type { AuthenticationResult } from '@azure/msal-node';

/** msal's answer from a partition's cache, kept with the partition's stamp when msal read it. */
export interface KeptAnswer {
  readonly stamp: string;
  /** `Date.now()` when kept: a clock turned back since makes msal renew, so it is not served. */
  readonly keptAt: number;
  readonly result: AuthenticationResult;
}

/**
 * msal-node's renewal window (`DEFAULT_TOKEN_RENEWAL_OFFSET_SEC`, not an option of msal-node): a
 * token expiring within it is renewed, never served.
 */
const RENEWAL_OFFSET_MS = 300_000;

/** Answers kept per partition (one per scope set asked for); the oldest goes first. */
export const ANSWERS_PER_PARTITION = 8;

/**
 * Whether msal would still serve the kept token from its cache now, by its own rules: not expired
 * nor within the renewal window, its refresh time (`refresh_in`) not passed, the clock not turned
 * back since it was kept.
 */
export function servable(answer: KeptAnswer, now: number): boolean {
  const { expiresOn, refreshOn } = answer.result;
  if (!expiresOn || now < answer.keptAt) return false;
  if (expiresOn.getTime() <= now + RENEWAL_OFFSET_MS) return false;
  return !refreshOn || refreshOn.getTime() > now;
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
 * A deep copy of msal's plain data: objects, arrays, maps and dates are new, strings are shared
 * (immutable). Unlike `structuredClone`, the token strings' bytes are not copied or even read, so
 * a hit touches a few small objects, whichever partition it is for.
 */
function copyPlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [key, copyPlain(item)])) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = copyPlain(item);
  return copy as T;
}

/** What is kept of msal's answer: a copy the caller who got the original cannot change. */
export function keptCopy(result: AuthenticationResult): AuthenticationResult {
  return copyPlain(result);
}

/** The caller's own copy of a kept answer, with its correlation id (a new one when it gave none). */
export function answerFor(result: AuthenticationResult, correlationId: string | undefined): AuthenticationResult {
  return { ...copyPlain(result), correlationId: correlationId ?? randomUUID(), fromCache: true };
}
