// msal's serialized cache (the JSON `TokenCache.serialize()` writes), the parts a merge touches.
type Section = Record<string, Record<string, unknown>>;
type SerializedCache = Partial<Record<'Account' | 'IdToken' | 'AccessToken' | 'RefreshToken' | 'AppMetadata', Section>>;

const SECTIONS = ['Account', 'IdToken', 'AccessToken', 'RefreshToken', 'AppMetadata'] as const;
// The fields that make two access tokens "the same grant": msal replaces a stored token of the
// same account, client, tenant and kind whose scopes intersect the new one's (its saveAccessToken).
const GRANT_FIELDS = ['home_account_id', 'environment', 'realm', 'client_id', 'credential_type', 'token_type'] as const;

function parse(text: string): SerializedCache {
  return text.trim() === '' ? {} : (JSON.parse(text) as SerializedCache);
}

function scopesOf(entry: Record<string, unknown>): Set<string> {
  const target = typeof entry.target === 'string' ? entry.target : '';
  return new Set(target.toLowerCase().split(' ').filter(Boolean));
}

function sameGrant(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (GRANT_FIELDS.some((field) => (a[field] ?? '') !== (b[field] ?? ''))) return false;
  const wanted = scopesOf(b);
  for (const scope of scopesOf(a)) if (wanted.has(scope)) return true;
  return false;
}

/**
 * Adds the entries of `fresh` (a cache that just received one token response) to `stored`, as
 * msal would have had it received the response with `stored` loaded: entries with the same key
 * are replaced, and stored access tokens of the same grant whose scopes intersect a new one's are
 * dropped. Both are msal's serialized JSON; `''` is an empty cache.
 *
 * @example
 * ```ts
 * const merged = mergeSerializedCache(await loadText(), freshApp.getTokenCache().serialize());
 * ```
 */
export function mergeSerializedCache(stored: string, fresh: string): string {
  const base = parse(stored);
  const added = parse(fresh);
  for (const section of SECTIONS) {
    const incoming = added[section];
    if (incoming === undefined) continue;
    const target: Section = { ...(base[section] ?? {}) };
    if (section === 'AccessToken') {
      for (const [key, entry] of Object.entries(target)) {
        if (Object.values(incoming).some((next) => sameGrant(entry, next))) delete target[key];
      }
    }
    Object.assign(target, incoming);
    base[section] = target;
  }
  return JSON.stringify(base);
}
