// What msal-node can do with a serialized cache, decided before it is handed to msal. msal-node
// trusts the JSON it is given: an entry that is not an object makes every later `serialize()` throw
// a TypeError that quotes the stored value (a token), a wrong-typed field breaks token lookups, and
// members it does not recognise are dropped at the next save. Read from msal-node 7's
// `Deserializer`, `Serializer`, `TokenCache.mergeState` and msal-common's entity checks, and pinned
// by the real-msal tests in test/msal-bad-cache.test.ts.

/**
 * The verdict on a cache: `usable`; `lossy` (msal works with it, but would silently drop or move
 * members at the next save); `unusable` (msal would throw or misbehave). A reason names sections
 * and field names only, never a key or a stored value.
 */
export type CacheShape =
  | { readonly verdict: 'usable' }
  | { readonly verdict: 'lossy'; readonly reason: string }
  | { readonly verdict: 'unusable'; readonly reason: string };

type Section = 'Account' | 'IdToken' | 'AccessToken' | 'RefreshToken' | 'AppMetadata';

const SECTIONS: readonly Section[] = ['Account', 'IdToken', 'AccessToken', 'RefreshToken', 'AppMetadata'];

const CREDENTIAL = ['home_account_id', 'environment', 'credential_type', 'client_id', 'secret', 'realm'];

// The string fields of msal-node's serialized entities. `null` is accepted: the Python MSAL writes
// `"home_account_id": null` for client-credential tokens and msal-node round-trips it.
const STRING_FIELDS: Record<Section, readonly string[]> = {
  Account: [
    'home_account_id',
    'environment',
    'realm',
    'local_account_id',
    'username',
    'authority_type',
    'name',
    'client_info',
    'last_modification_time',
    'last_modification_app',
  ],
  IdToken: CREDENTIAL,
  AccessToken: [
    ...CREDENTIAL,
    'target',
    'cached_at',
    'expires_on',
    'extended_expires_on',
    'refresh_on',
    'key_id',
    'token_type',
    'userAssertionHash',
    'resource',
  ],
  RefreshToken: [...CREDENTIAL, 'family_id', 'target'],
  AppMetadata: ['client_id', 'environment', 'family_id'],
};

// msal-node files a credential by its credential_type, whatever section it was read from, and
// drops one whose type it does not know.
const CREDENTIAL_TYPES: Partial<Record<Section, readonly string[]>> = {
  IdToken: ['IdToken'],
  AccessToken: ['AccessToken', 'AccessToken_With_AuthScheme'],
  RefreshToken: ['RefreshToken'],
};

// Reasons quote no sequence of the cache longer than 16 characters (issue 16's leak rule), so the
// longer field names get a short label.
const LABELS: Record<string, string> = {
  last_modification_time: 'modification time',
  last_modification_app: 'modification app',
  extended_expires_on: 'extended expiry',
  userAssertionHash: 'assertion hash',
  additionalCacheKeyComponents: 'key components',
};

const USABLE: CacheShape = { verdict: 'usable' };

// msal-node's serialize() merges its snapshot into the new state by calling `hasOwnProperty` as a
// method of every object in it, at any depth: a member of that name makes it throw a TypeError.
const SHADOW = 'hasOwnProperty';

/** Whether any object in `value` has an own member named {@link SHADOW}; iterative, for any depth. */
function hasShadowMember(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (!Array.isArray(next) && Object.hasOwn(next, SHADOW)) return true;
    for (const child of Object.values(next)) if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return false;
}

function isJsonNotNull(text: string): boolean {
  try {
    return JSON.parse(text) !== null;
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const entryOf = (section: Section) => `${section === 'RefreshToken' ? 'a' : 'an'} ${section} entry`;

/** Why `entry` cannot be handed to msal, or undefined. */
function unusableEntry(section: Section, entry: unknown): string | undefined {
  const an = entryOf(section);
  if (!isPlainObject(entry)) return `${an} is not an object`;
  for (const field of STRING_FIELDS[section]) {
    const value = entry[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return `${an}'s ${LABELS[field] ?? field} is not a string`;
    }
  }
  if (section === 'AccessToken') {
    const { target, additionalCacheKeyComponents: extra } = entry;
    // msal parses every candidate access token's scopes and throws on an empty set.
    if (typeof target !== 'string' || target.trim() === '') return `${an} has no target (scopes)`;
    if (
      extra !== undefined &&
      extra !== null &&
      !(isPlainObject(extra) && Object.values(extra).every((v) => typeof v === 'string'))
    ) {
      return `${an}'s key components are not an object of strings`;
    }
  }
  if (section === 'Account') {
    const profiles = entry.tenantProfiles;
    if (
      profiles !== undefined &&
      profiles !== null &&
      !(Array.isArray(profiles) && profiles.every((p) => typeof p === 'string'))
    ) {
      return `${an}'s tenantProfiles is not a list of strings`;
    }
    // msal-node JSON.parses each profile when it loads the cache and reads `tenantId` from it when
    // it lists accounts.
    if (Array.isArray(profiles) && !profiles.every(isJsonNotNull))
      return `${an}'s tenant profile is not JSON or is null`;
  }
  return undefined;
}

/** Why msal would drop or move `entry` at the next save, or undefined. `entry` is usable. */
function lossyEntry(section: Section, key: string, entry: Record<string, unknown>): string | undefined {
  const an = entryOf(section);
  // msal stores entries by assignment: this key would set an object's prototype instead.
  if (key === '__proto__') return `${an} has a key msal-node cannot store`;
  const types = CREDENTIAL_TYPES[section];
  if (types && !types.includes(entry.credential_type as string)) {
    return `${an}'s credential_type is not ${types.join(' or ')}`;
  }
  if (section === 'AppMetadata' && !key.startsWith('appmetadata')) return `${an}'s key does not start with appmetadata`;
  if (section === 'Account' && entry.tenantProfiles === null) return `${an}'s tenantProfiles is null`;
  return undefined;
}

/**
 * Checks the JSON text of a cache before it is handed to msal-node, in one pass. Throws the
 * parser's `SyntaxError` for text that is not JSON (its message may quote the text: never log it).
 * Sections and fields msal-node does not know are not checked (it keeps them as they are).
 *
 * @example
 * ```ts
 * checkCacheShape('{"Account":{"k":"a token"}}'); // { verdict: 'unusable', reason: 'an Account entry is not an object' }
 * ```
 */
export function checkCacheShape(text: string): CacheShape {
  const cache: unknown = JSON.parse(text);
  if (!isPlainObject(cache)) return { verdict: 'unusable', reason: 'the cache is not a JSON object' };
  // The walk runs only when the text may hold the name (spelled out, or behind a \u escape).
  if ((text.includes(SHADOW) || text.includes('\\u')) && hasShadowMember(cache)) {
    return { verdict: 'unusable', reason: `a member is named ${SHADOW}, which msal-node cannot merge` };
  }
  let lossy: string | undefined;
  // msal-node keeps every entry in one map, so a key used in two sections loses one of them.
  const seen = new Set<string>();
  for (const section of SECTIONS) {
    const entries = cache[section];
    if (entries === undefined) continue;
    if (!isPlainObject(entries)) return { verdict: 'unusable', reason: `the ${section} section is not an object` };
    for (const key of Object.keys(entries)) {
      const entry = entries[key];
      const unusable = unusableEntry(section, entry);
      if (unusable) return { verdict: 'unusable', reason: unusable };
      if (lossy) continue;
      lossy = lossyEntry(section, key, entry as Record<string, unknown>);
      if (!lossy && seen.has(key)) lossy = 'one key is used in two sections';
      seen.add(key);
    }
  }
  return lossy ? { verdict: 'lossy', reason: lossy } : USABLE;
}
