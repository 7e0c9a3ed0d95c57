import { bytesToText } from './bytes.js';
import { checkNumberOption } from './options.js';

/**
 * Default for {@link CacheRetentionOptions.refreshTokenIdleMs}: 14 days. A partition with a refresh
 * token is worth keeping while its user may come back without signing in again, which a web app's
 * session decides: sessions commonly last hours to two weeks, while Entra ID lets an unused refresh
 * token live up to 90 days. Two weeks keeps every user a typical session can bring back and lets
 * storage follow active users rather than everyone ever seen; raise it for longer sessions.
 *
 * @example
 * ```ts
 * cacheRetention(bytes, { refreshTokenIdleMs: 2 * DEFAULT_REFRESH_TOKEN_IDLE_MS });
 * ```
 */
export const DEFAULT_REFRESH_TOKEN_IDLE_MS = 14 * 24 * 60 * 60 * 1000;

/** Options for {@link cacheRetention}. */
export interface CacheRetentionOptions {
  /** The time of the save, in epoch milliseconds. Default `Date.now()`. */
  now?: number;
  /** How long a partition holding a refresh token is kept after its last save. Default {@link DEFAULT_REFRESH_TOKEN_IDLE_MS}. */
  refreshTokenIdleMs?: number;
}

type Section = Record<string, unknown>;

const sectionOf = (cache: Section, name: string): Section[] => {
  const section = cache[name];
  if (typeof section !== 'object' || section === null) return [];
  return Object.values(section).filter((entry): entry is Section => typeof entry === 'object' && entry !== null);
};

/**
 * When a partition's stored msal cache may be dropped, in epoch milliseconds, computed from the
 * serialized cache being saved (plaintext, before any encryption):
 * - it holds a refresh token (a signed-in user): `now + refreshTokenIdleMs`, a sliding expiry that
 *   every save (sign-in, refresh, new access token) pushes forward;
 * - else it holds access tokens (on-behalf-of, app tokens): the latest access-token expiry — the
 *   partition is useless once its last token has expired (possibly already in the past);
 * - else (`undefined`): nothing in it is worth keeping — an empty cache after sign-out, accounts
 *   only, or bytes that are not an msal cache. A store may drop it at its next sweep.
 *
 * Stores use it for bounded storage: Redis sets it with `PEXPIREAT`, the folder store's `sweep()`
 * deletes files past it. The later of both rules wins when a cache holds both kinds of token.
 *
 * @example
 * ```ts
 * const expiresAt = cacheRetention(bytes, { now: Date.now() });
 * if (expiresAt !== undefined) await redis.pexpireat(key, expiresAt);
 * ```
 */
export function cacheRetention(data: Uint8Array | string, options: CacheRetentionOptions = {}): number | undefined {
  const now = checkNumberOption('now', options.now, Date.now(), { min: 0 });
  const idleMs = checkNumberOption('refreshTokenIdleMs', options.refreshTokenIdleMs, DEFAULT_REFRESH_TOKEN_IDLE_MS, {
    min: 0,
  });
  let cache: unknown;
  try {
    cache = JSON.parse(typeof data === 'string' ? data : bytesToText(data));
  } catch {
    return undefined;
  }
  if (typeof cache !== 'object' || cache === null || Array.isArray(cache)) return undefined;

  let retention: number | undefined;
  if (sectionOf(cache as Section, 'RefreshToken').some((entry) => typeof entry.secret === 'string')) {
    retention = now + idleMs;
  }
  for (const token of sectionOf(cache as Section, 'AccessToken')) {
    // msal writes expires_on as a string of epoch seconds; other MSALs as a number.
    const seconds = Number(token.expires_on);
    if (typeof token.expires_on === 'boolean' || !Number.isFinite(seconds) || seconds <= 0) continue;
    const expiresAt = seconds * 1000;
    if (retention === undefined || expiresAt > retention) retention = expiresAt;
  }
  return retention;
}
