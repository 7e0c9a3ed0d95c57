import { describe, expect, it } from 'vitest';
import { MemoryLock, MemoryPersistence, PersistenceCachePlugin, textToBytes } from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';
import { BO, CLIENT_ID, CY, publicApp, SCOPES, signIn, usernames } from './support/msal-apps.js';
import { expectNoLeaks, RecordingLogger } from './support/recording-logger.js';
import { storedText } from './support/scripted-token-cache.js';

// Issue 16.6 and 16.7: a cache whose members have shapes msal cannot use, or would silently drop at
// the next save. Each case seeds the store, then runs real msal-node against it.

type Json = Record<string, Record<string, unknown>>;
const ENV = 'login.msal-persist.test';
const TENANT = '00000000-0000-4000-8000-0000000000aa';
const ADA_OID = '00000000-0000-4000-8000-00000000a11c';
const home = (oid: string) => `${oid}.${TENANT}`;
const keys = (oid: string) => ({
  account: `${home(oid)}-${ENV}-${TENANT}`,
  idToken: `${home(oid)}-${ENV}-idtoken-${CLIENT_ID}-${TENANT}--`,
  accessToken: `${home(oid)}-${ENV}-accesstoken-${CLIENT_ID}-${TENANT}-user.read-`,
  refreshToken: `${home(oid)}-${ENV}-refreshtoken-${CLIENT_ID}---`,
});
const ADA = keys(ADA_OID);
/** Looks like a stored refresh token: the kind of value that must never reach a message. */
const TOKEN = `0.AXYA${'q7Ztb3Nlc3NvbGUtcmVmcmVzaC10b2tlbg'.repeat(3)}`;

/** A realistic cache: Bo signed in by another process, as msal-node wrote it. */
async function boCache(): Promise<Json> {
  const persistence = new MemoryPersistence();
  const app = publicApp(
    new FakeTokenEndpoint({ user: BO }),
    new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger: {} }),
  );
  await signIn(app);
  return JSON.parse(await storedText(persistence)) as Json;
}

/** A store holding Bo's cache with `damage` done to it. */
async function seeded(damage: (json: Json) => void): Promise<{ seed: string; persistence: MemoryPersistence }> {
  const json = await boCache();
  damage(json);
  const seed = JSON.stringify(json);
  const persistence = new MemoryPersistence();
  await persistence.save(textToBytes(seed));
  return { seed, persistence };
}

const keptAside = (persistence: MemoryPersistence) =>
  persistence.keptAside.map((bytes) => new TextDecoder().decode(bytes));

function harness(persistence: MemoryPersistence) {
  const logger = new RecordingLogger();
  const idp = new FakeTokenEndpoint();
  const app = publicApp(idp, new PersistenceCachePlugin({ persistence, lock: new MemoryLock(), logger }));
  return { logger, idp, app };
}

/** Runs `scenario`, then checks every error msal or the plugin threw and every logged line for cache bytes. */
async function withLeakCheck(
  seed: string,
  loggers: RecordingLogger[],
  scenario: (call: <T>(promise: Promise<T>) => Promise<T>) => Promise<void>,
): Promise<void> {
  const errors: unknown[] = [];
  const call = async <T>(promise: Promise<T>): Promise<T> => {
    try {
      return await promise;
    } catch (error) {
      errors.push(error);
      throw error;
    }
  };
  try {
    await scenario(call);
  } finally {
    for (const logger of loggers) expectNoLeaks({ logger, errors }, [seed]);
  }
}

const entry = (json: Json, section: string, key: string) => json[section]?.[key] as Record<string, unknown>;

describe('a cache msal cannot use is Corrupt: warning, bytes kept aside, continue empty (issue 16.6)', () => {
  const cases: Array<[string, (json: Json) => void]> = [
    [
      'an Account entry that is a stored token, under the key the sign-in writes',
      (j) => {
        j.Account = { [ADA.account]: TOKEN };
      },
    ],
    [
      'an Account entry of another account that is a stored token',
      (j) => {
        j.Account = { ...j.Account, k: TOKEN };
      },
    ],
    [
      'an AppMetadata entry that is a string',
      (j) => {
        j.AppMetadata = { [`appmetadata-${ENV}-${CLIENT_ID}`]: TOKEN };
      },
    ],
    [
      'an IdToken entry that is a number',
      (j) => {
        j.IdToken = { ...j.IdToken, [ADA.idToken]: 42 };
      },
    ],
    [
      'a section that is a string',
      (j) => {
        (j as Record<string, unknown>).RefreshToken = TOKEN;
      },
    ],
    [
      'a section that is a list of tokens',
      (j) => {
        (j as Record<string, unknown>).Account = [TOKEN];
      },
    ],
    [
      'an access token missing its target',
      (j) => {
        const { target: _dropped, ...rest } = entry(j, 'AccessToken', keys(BO.oid).accessToken);
        j.AccessToken = { [ADA.accessToken]: { ...rest, home_account_id: home(ADA_OID) } };
      },
    ],
    [
      'an access token whose realm is a number',
      (j) => {
        j.AccessToken = {
          [ADA.accessToken]: {
            ...entry(j, 'AccessToken', keys(BO.oid).accessToken),
            home_account_id: home(ADA_OID),
            realm: 7,
          },
        };
      },
    ],
    [
      'an account whose home_account_id is a number',
      (j) => {
        j.Account = { [ADA.account]: { ...entry(j, 'Account', keys(BO.oid).account), home_account_id: 7 } };
      },
    ],
  ];

  for (const [label, damage] of cases) {
    it(label, async () => {
      const { seed, persistence } = await seeded(damage);
      const { logger, idp, app } = harness(persistence);
      const other = harness(persistence);
      await withLeakCheck(seed, [logger, other.logger], async (call) => {
        expect(await call(usernames(app))).toEqual([]);
        const ada = await call(signIn(app));
        expect(await call(usernames(app))).toEqual(['ada@contoso.test']);
        idp.resetCalls();
        expect((await call(app.acquireTokenSilent({ scopes: SCOPES, account: ada.account }))).fromCache).toBe(true);
        expect(idp.calls.total).toBe(0);
        expect(keptAside(persistence)).toEqual([seed]);
        expect(logger.at('warn').length).toBeGreaterThan(0);
        // Another process reads what this one saved, without a network call.
        const silent = await call(other.app.acquireTokenSilent({ scopes: SCOPES, account: ada.account }));
        expect(silent.fromCache).toBe(true);
        expect(other.idp.calls.total).toBe(0);
      });
    });
  }
});

describe('members msal would drop at the next save are kept aside first (issue 16.7)', () => {
  const cy = keys(CY.oid);
  const cases: Array<[string, (json: Json) => void]> = [
    [
      'a refresh token whose credential_type msal does not know',
      (j) => {
        j.RefreshToken = {
          ...j.RefreshToken,
          [cy.refreshToken]: {
            ...entry(j, 'RefreshToken', keys(BO.oid).refreshToken),
            home_account_id: home(CY.oid),
            credential_type: 'refreshtoken',
            secret: TOKEN,
          },
        };
      },
    ],
    [
      'a refresh token without credential_type',
      (j) => {
        const { credential_type: _dropped, ...rest } = entry(j, 'RefreshToken', keys(BO.oid).refreshToken);
        j.RefreshToken = {
          ...j.RefreshToken,
          [cy.refreshToken]: { ...rest, home_account_id: home(CY.oid), secret: TOKEN },
        };
      },
    ],
    [
      'an access token filed under IdToken',
      (j) => {
        j.IdToken = {
          ...j.IdToken,
          [cy.accessToken]: {
            ...entry(j, 'AccessToken', keys(BO.oid).accessToken),
            home_account_id: home(CY.oid),
            secret: TOKEN,
          },
        };
      },
    ],
    [
      'an AppMetadata entry under a key msal does not recognise',
      (j) => {
        j.AppMetadata = { ...j.AppMetadata, [`metadata-${ENV}-${TOKEN}`]: { client_id: CLIENT_ID, environment: ENV } };
      },
    ],
    [
      'one key in two sections',
      (j) => {
        const rt = {
          ...entry(j, 'RefreshToken', keys(BO.oid).refreshToken),
          home_account_id: home(CY.oid),
          secret: TOKEN,
        };
        j.RefreshToken = { ...j.RefreshToken, [cy.refreshToken]: rt };
        j.Account = {
          ...j.Account,
          [cy.refreshToken]: { ...entry(j, 'Account', keys(BO.oid).account), username: 'cy@contoso.test' },
        };
      },
    ],
    [
      'an account whose tenantProfiles is null',
      (j) => {
        j.Account = {
          ...j.Account,
          [cy.account]: {
            ...entry(j, 'Account', keys(BO.oid).account),
            home_account_id: home(CY.oid),
            username: 'cy@contoso.test',
            tenantProfiles: null,
          },
        };
      },
    ],
  ];

  for (const [label, damage] of cases) {
    it(label, async () => {
      const { seed, persistence } = await seeded(damage);
      const { logger, idp, app } = harness(persistence);
      await withLeakCheck(seed, [logger], async (call) => {
        // msal keeps using what it understands: Bo stays signed in.
        const accounts = await call(app.getTokenCache().getAllAccounts());
        const bo = accounts.find((account) => account.username === BO.username);
        if (!bo) throw new Error('Bo is no longer signed in');
        expect((await call(app.acquireTokenSilent({ scopes: SCOPES, account: bo }))).fromCache).toBe(true);
        expect(idp.calls.total).toBe(0);
        expect(persistence.keptAside).toHaveLength(0);
        await call(signIn(app));
        expect(keptAside(persistence)).toEqual([seed]);
        expect(await call(usernames(app))).toEqual(expect.arrayContaining(['ada@contoso.test', 'bo@contoso.test']));
        expect(logger.at('warn').length).toBeGreaterThan(0);
      });
    });
  }
});
