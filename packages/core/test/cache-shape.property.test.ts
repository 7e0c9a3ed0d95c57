import { type AccountInfo, AuthError } from '@azure/msal-node';
import { propertyRuns, propertyTimeoutMs } from '@msal-persist/test-support';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCacheShape } from '../src/cache-shape.js';
import { MemoryLock, MemoryPersistence, PersistenceCachePlugin } from '../src/index.js';
import { FakeTokenEndpoint, findSecretLeaks } from '../src/testing/index.js';
import { BO, publicApp, SCOPES, signIn } from './support/msal-apps.js';
import { storedText } from './support/scripted-token-cache.js';

// The stored cache is foreign input: the Python, .NET and Go MSALs write it too, older versions of
// msal-node wrote it, and anyone who can write the store can put anything there. checkCacheShape
// decides what reaches msal-node; these properties hold it to that, against real msal-node.

type Json = Record<string, unknown>;
const SECTIONS = ['Account', 'IdToken', 'AccessToken', 'RefreshToken', 'AppMetadata'] as const;
const FIELDS = [
  'home_account_id',
  'environment',
  'realm',
  'local_account_id',
  'username',
  'authority_type',
  'name',
  'client_info',
  'last_modification_time',
  'credential_type',
  'client_id',
  'secret',
  'target',
  'cached_at',
  'expires_on',
  'extended_expires_on',
  'refresh_on',
  'token_type',
  'family_id',
  'tenantProfiles',
  'additionalCacheKeyComponents',
  'unknown_field',
];
/** Values a field may hold in a foreign or damaged cache, `undefined` for a missing field. */
const fieldValue = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    '',
    ' ',
    'AccessToken',
    'AccessToken_With_AuthScheme',
    'RefreshToken',
    'IdToken',
    'refreshtoken',
    '1',
  ),
  fc.constantFrom([], ['t1'], [1], {}, { a: 'b' }, { a: 1 }, 0, 7, true),
  fc.string({ maxLength: 8 }),
);
const strangeKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'appmetadata-x', ''),
  fc.string({ maxLength: 12 }),
);

/** One damage to a cache, printed as what it does. */
interface Damage {
  apply(cache: Json): void;
}
function damage(description: string, apply: (cache: Json) => void): Damage {
  return Object.assign({ apply }, { [fc.toStringMethod]: () => description });
}
function entries(cache: Json, section: string): Record<string, unknown> | undefined {
  const value = cache[section];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
/** The `n`th key (modulo) of a section, or undefined for none. */
function keyAt(cache: Json, section: string, n: number): string | undefined {
  const keys = Object.keys(entries(cache, section) ?? {});
  return keys.length === 0 ? undefined : keys[n % keys.length];
}

const section = fc.constantFrom(...SECTIONS);
const damages = fc.oneof(
  fc.tuple(section, fc.nat(), fc.constantFrom(...FIELDS), fieldValue).map(([s, n, field, value]) =>
    damage(`${s}[${n}].${field} = ${fc.stringify(value)}`, (cache) => {
      const key = keyAt(cache, s, n);
      const entry = key === undefined ? undefined : entries(cache, s)?.[key];
      if (typeof entry !== 'object' || entry === null) return;
      if (value === undefined) delete (entry as Json)[field];
      else (entry as Json)[field] = structuredClone(value);
    }),
  ),
  fc.tuple(section, fc.nat(), fieldValue).map(([s, n, value]) =>
    damage(`${s}[${n}] = ${fc.stringify(value)}`, (cache) => {
      const key = keyAt(cache, s, n);
      const list = entries(cache, s);
      if (key !== undefined && list) list[key] = structuredClone(value);
    }),
  ),
  fc.tuple(section, fc.nat(), section).map(([from, n, to]) =>
    damage(`move ${from}[${n}] to ${to}`, (cache) => {
      const key = keyAt(cache, from, n);
      const source = entries(cache, from);
      const target = entries(cache, to);
      if (key === undefined || !source || !target) return;
      const entry = source[key];
      delete source[key];
      target[key] = entry;
    }),
  ),
  fc.tuple(section, fc.nat(), section).map(([from, n, to]) =>
    damage(`copy ${from}[${n}]'s key into ${to}`, (cache) => {
      const key = keyAt(cache, from, n);
      const target = entries(cache, to);
      const other = keyAt(cache, to, 0);
      if (key === undefined || !target || other === undefined) return;
      target[key] = target[other];
    }),
  ),
  fc.tuple(section, fc.nat(), strangeKey).map(([s, n, newKey]) =>
    damage(`rename ${s}[${n}] to ${JSON.stringify(newKey)}`, (cache) => {
      const key = keyAt(cache, s, n);
      const list = entries(cache, s);
      if (key === undefined || !list) return;
      const entry = list[key];
      delete list[key];
      Object.defineProperty(list, newKey, { value: entry, enumerable: true, writable: true, configurable: true });
    }),
  ),
  fc.tuple(section, fieldValue).map(([s, value]) =>
    damage(`${s} = ${fc.stringify(value)}`, (cache) => {
      if (value === undefined) delete cache[s];
      else cache[s] = structuredClone(value);
    }),
  ),
);

let bo: { text: string; account: AccountInfo };

beforeAll(async () => {
  const persistence = new MemoryPersistence();
  const app = publicApp(
    new FakeTokenEndpoint({ user: BO }),
    new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger: {} }),
  );
  const { account } = await signIn(app);
  bo = { text: await storedText(persistence), account };
});

describe('checkCacheShape, properties', () => {
  it('returns a verdict for any text, and throws only the parser’s SyntaxError for text that is not JSON', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 6 }),
      fc.json({ maxDepth: 6 }).map((json) => json.slice(0, Math.floor(json.length / 2))),
    );
    fc.assert(
      fc.property(text, (input) => {
        let parsed = true;
        try {
          JSON.parse(input);
        } catch {
          parsed = false;
        }
        if (parsed) expect(['usable', 'lossy', 'unusable']).toContain(checkCacheShape(input).verdict);
        else expect(() => checkCacheShape(input)).toThrow(SyntaxError);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('names no key and no stored value in its reason, whatever the cache holds', () => {
    // Every key and string value is a token-like secret; a reason may name sections and fields only.
    const secret = fc.string({ minLength: 17, maxLength: 40 }).map((s) => `SECRET${s}`);
    const value = fc.oneof(secret, fc.constantFrom(null, 1, true, [], {}), fc.array(secret, { maxLength: 2 }));
    const entry = fc.oneof(value, fc.dictionary(fc.oneof(secret, fc.constantFrom(...FIELDS)), value, { maxKeys: 6 }));
    const cache = fc.dictionary(
      fc.oneof(fc.constantFrom(...SECTIONS), secret),
      fc.oneof(value, fc.dictionary(fc.oneof(secret, fc.constantFrom('__proto__')), entry, { maxKeys: 4 })),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(cache, (json) => {
        const text = JSON.stringify(json);
        const shape = checkCacheShape(text);
        if (shape.verdict !== 'usable') expect(findSecretLeaks(shape.reason, text)).toEqual([]);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it(
    'a cache it does not call unusable, real msal-node loads, serializes, lists and serves without a TypeError; one it calls usable keeps every entry',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(damages, { minLength: 1, maxLength: 3 }), async (applied) => {
          const json = JSON.parse(bo.text) as Json;
          for (const d of applied) d.apply(json);
          const text = JSON.stringify(json);
          const shape = checkCacheShape(text);
          if (shape.verdict === 'unusable') return;
          const app = publicApp(new FakeTokenEndpoint({ user: BO }), {
            beforeCacheAccess: async () => {},
            afterCacheAccess: async () => {},
          });
          const cache = app.getTokenCache();
          // msal's own errors (an id token that is no JWT) are msal's answer; a TypeError is a crash.
          const msalError = (error: unknown) => {
            expect(error).toBeInstanceOf(AuthError);
            return undefined;
          };
          cache.deserialize(text);
          // Saved before any lookup: msal's lookups remove entries they find inconsistent (two id
          // tokens for one account), which is msal repairing a cache, not the load dropping members.
          const saved = JSON.parse(cache.serialize()) as Json;
          await cache.getAllAccounts().catch(msalError);
          await app.acquireTokenSilent({ scopes: SCOPES, account: bo.account }).catch(msalError);
          cache.serialize();
          if (shape.verdict !== 'usable') return;
          const stored = JSON.parse(text) as Json;
          for (const s of SECTIONS) {
            const before = Object.keys(entries(stored, s) ?? {}).sort();
            expect({ section: s, keys: Object.keys(entries(saved, s) ?? {}).sort() }).toEqual({
              section: s,
              keys: before,
            });
          }
        }),
        { numRuns: propertyRuns(150) },
      );
    },
    propertyTimeoutMs(60_000),
  );
});

describe('checkCacheShape, the cases the properties found', () => {
  const withMember = (where: 'entry key' | 'entry field' | 'section') => {
    const json = JSON.parse(bo.text) as Record<string, Record<string, Json>>;
    const account = json.Account ?? {};
    const [key = ''] = Object.keys(account);
    // Through a string variable: TypeScript types the literal member as the method.
    const name: string = 'hasOwnProperty';
    if (where === 'entry key') {
      account[name] = account[key] ?? {};
      delete account[key];
    } else if (where === 'entry field') {
      (account[key] ?? {})[name] = 'x';
    } else {
      json[name] = {};
    }
    return JSON.stringify(json);
  };

  for (const where of ['entry key', 'entry field', 'section'] as const) {
    it(`a member named hasOwnProperty (${where}) is unusable: msal-node's serialize() would throw a TypeError`, () => {
      expect(checkCacheShape(withMember(where)).verdict).toBe('unusable');
    });
  }

  // msal-node JSON.parses each profile when it loads (SyntaxError) and reads its tenantId when it lists accounts (TypeError on null).
  for (const profiles of [['t1'], ['{"tenantId":'], ['null']]) {
    it(`tenant profiles ${JSON.stringify(profiles)} are unusable`, () => {
      const json = JSON.parse(bo.text) as Record<string, Record<string, Json>>;
      for (const account of Object.values(json.Account ?? {})) account.tenantProfiles = profiles;
      expect(checkCacheShape(JSON.stringify(json)).verdict).toBe('unusable');
    });
  }

  it('a sign-in over a stored cache with an account keyed hasOwnProperty succeeds, and the old content is kept aside', async () => {
    const seed = withMember('entry key');
    const persistence = new MemoryPersistence();
    await persistence.save(new TextEncoder().encode(seed));
    const app = publicApp(
      new FakeTokenEndpoint(),
      new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger: {} }),
    );
    const { account } = await signIn(app);
    expect(account.username).toBe('ada@contoso.test');
    expect(persistence.keptAside.map((bytes) => new TextDecoder().decode(bytes))).toEqual([seed]);
  });
});
