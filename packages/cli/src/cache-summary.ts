// What an msal cache holds, for `inspect`: accounts and the count and expiry of their tokens. Built
// from an allow-list of fields: a token (`secret`), a cache key or `client_info` never gets in.

/**
 * One token, for `inspect --verbose`: what it is for and when it expires, never its value.
 *
 * @example
 * ```ts
 * const token: TokenDetail = { kind: 'access', clientId: '…', environment: 'login.microsoftonline.com', scopes: ['User.Read'], expiresOn: '2030-01-01T00:00:00.000Z', expired: false };
 * ```
 */
export interface TokenDetail {
  kind: 'access' | 'refresh' | 'id';
  clientId: string | null;
  environment: string | null;
  tenant?: string | null;
  scopes?: string[];
  expiresOn?: string | null;
  expired?: boolean;
  /** Refresh tokens shared by a family of Microsoft apps (`"1"`). */
  family?: string | null;
}

/** Access tokens of an account or app: how many, how many expired, and the next expiry. */
export interface AccessTokenCount {
  count: number;
  expired: number;
  /** The earliest expiry among those not expired yet, ISO 8601; `null` when none is valid. */
  nextExpiresOn: string | null;
}

/**
 * One signed-in account (a home account id; its tenant profiles merged).
 *
 * @example
 * ```ts
 * console.log(`${account.username}: ${account.accessTokens.count} access tokens`);
 * ```
 */
export interface AccountSummary {
  homeAccountId: string;
  username: string | null;
  name: string | null;
  environment: string | null;
  tenants: string[];
  accessTokens: AccessTokenCount;
  refreshTokens: {
    count: number /** The latest recorded expiry, or `null` (most have none). */;
    expiresOn: string | null;
  };
  idTokens: { count: number };
  /** With `--verbose`. */
  tokens?: TokenDetail[];
}

/** Tokens an app got for itself (client credentials): no account. */
export interface AppTokenSummary {
  clientId: string;
  accessTokens: AccessTokenCount;
  tokens?: TokenDetail[];
}

/**
 * What a cache holds.
 *
 * @example
 * ```ts
 * const summary = summarizeCache(text, { now: Date.now(), verbose: false });
 * ```
 */
export interface CacheSummary {
  /** False when the stored bytes are not an msal cache (the app then starts empty). */
  readable: boolean;
  /** Why not, naming no stored value. */
  problem?: string;
  accounts: AccountSummary[];
  appTokens: AppTokenSummary[];
}

type Entry = Record<string, unknown>;

function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(entry: Entry, name: string): string | null {
  const value = entry[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** msal stores times as seconds since the epoch, in strings. */
function isoTime(value: string | null): string | null {
  if (value === null || !/^\d+$/.test(value)) return null;
  return new Date(Number(value) * 1000).toISOString();
}

function section(cache: Entry, name: string): Entry[] {
  const value = cache[name];
  return isEntry(value) ? Object.values(value).filter(isEntry) : [];
}

function detail(kind: TokenDetail['kind'], entry: Entry, now: number): TokenDetail {
  const base: TokenDetail = { kind, clientId: text(entry, 'client_id'), environment: text(entry, 'environment') };
  if (kind === 'refresh') {
    const expiresOn = isoTime(text(entry, 'expires_on'));
    return { ...base, family: text(entry, 'family_id'), ...(expiresOn ? { expiresOn } : {}) };
  }
  if (kind === 'id') return { ...base, tenant: text(entry, 'realm') };
  const expiresOn = isoTime(text(entry, 'expires_on'));
  const target = text(entry, 'target');
  return {
    ...base,
    tenant: text(entry, 'realm'),
    scopes: target ? target.split(' ').filter(Boolean) : [],
    expiresOn,
    expired: expiresOn !== null && Date.parse(expiresOn) <= now,
  };
}

function countAccess(tokens: TokenDetail[]): AccessTokenCount {
  const access = tokens.filter((token) => token.kind === 'access');
  const valid = access
    .filter((token) => token.expired === false && token.expiresOn)
    .map((token) => token.expiresOn as string)
    .sort();
  return {
    count: access.length,
    expired: access.filter((token) => token.expired).length,
    nextExpiresOn: valid[0] ?? null,
  };
}

/**
 * Summarises a serialized msal cache (`null` or `''`: nothing stored).
 *
 * @example
 * ```ts
 * summarizeCache('{"Account":{}}', { now: Date.now(), verbose: false }); // { readable: true, accounts: [], appTokens: [] }
 * ```
 */
export function summarizeCache(stored: string | null, options: { now: number; verbose: boolean }): CacheSummary {
  const empty: CacheSummary = { readable: true, accounts: [], appTokens: [] };
  if (stored === null || stored === '') return empty;
  let cache: unknown;
  try {
    cache = JSON.parse(stored);
  } catch {
    return { ...empty, readable: false, problem: 'the stored bytes are not JSON' };
  }
  if (!isEntry(cache)) return { ...empty, readable: false, problem: 'the stored JSON is not an object' };

  const byAccount = new Map<string, { entries: Entry[]; tokens: TokenDetail[] }>();
  for (const account of section(cache, 'Account')) {
    const id = text(account, 'home_account_id');
    if (!id) continue;
    const known = byAccount.get(id) ?? { entries: [], tokens: [] };
    known.entries.push(account);
    byAccount.set(id, known);
  }
  const byApp = new Map<string, TokenDetail[]>();
  const kinds = [
    ['AccessToken', 'access'],
    ['RefreshToken', 'refresh'],
    ['IdToken', 'id'],
  ] as const;
  for (const [name, kind] of kinds) {
    for (const entry of section(cache, name)) {
      const token = detail(kind, entry, options.now);
      const owner = text(entry, 'home_account_id');
      const account = owner ? byAccount.get(owner) : undefined;
      if (account) account.tokens.push(token);
      else if (!owner) {
        const app = token.clientId ?? '(unknown client)';
        byApp.set(app, [...(byApp.get(app) ?? []), token]);
      } else {
        // Tokens of an account whose Account entry is gone: still that account's.
        byAccount.set(owner, { entries: [], tokens: [token] });
      }
    }
  }

  const accounts = [...byAccount].map(([homeAccountId, { entries, tokens }]): AccountSummary => {
    const first = entries[0] ?? {};
    const refresh = tokens.filter((token) => token.kind === 'refresh');
    const refreshExpiry = refresh
      .map((token) => token.expiresOn)
      .filter((time): time is string => Boolean(time))
      .sort()
      .pop();
    return {
      homeAccountId,
      username: text(first, 'username'),
      name: text(first, 'name'),
      environment: text(first, 'environment'),
      tenants: [...new Set(entries.map((entry) => text(entry, 'realm')).filter((realm): realm is string => !!realm))],
      accessTokens: countAccess(tokens),
      refreshTokens: { count: refresh.length, expiresOn: refreshExpiry ?? null },
      idTokens: { count: tokens.filter((token) => token.kind === 'id').length },
      ...(options.verbose ? { tokens } : {}),
    };
  });
  const appTokens = [...byApp].map(
    ([clientId, tokens]): AppTokenSummary => ({
      clientId,
      accessTokens: countAccess(tokens),
      ...(options.verbose ? { tokens } : {}),
    }),
  );
  return { readable: true, accounts, appTokens };
}
