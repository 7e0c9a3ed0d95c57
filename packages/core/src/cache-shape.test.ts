import { describe, expect, it } from 'vitest';
import { checkCacheShape } from './cache-shape.js';
import { findSecretLeaks } from './testing/index.js';

const TOKEN = '0.AXYA-a-stored-refresh-token-value';
const at = {
  credential_type: 'AccessToken',
  secret: TOKEN,
  home_account_id: 'o1.t1',
  environment: 'login.microsoftonline.com',
  client_id: 'c1',
  target: 'User.Read',
  realm: 't1',
  token_type: 'Bearer',
  cached_at: '1',
  expires_on: '2',
  extended_expires_on: '2',
};
const rt = {
  credential_type: 'RefreshToken',
  secret: TOKEN,
  home_account_id: 'o1.t1',
  environment: 'e',
  client_id: 'c1',
};
const account = {
  home_account_id: 'o1.t1',
  environment: 'e',
  realm: 't1',
  local_account_id: 'o1',
  username: 'py@contoso.test',
  authority_type: 'MSSTS',
};

// As the Python MSAL (python3-msal 1.21) writes it: a client-credential access token has a null
// home_account_id, and a refresh token carries a field msal-node does not know.
const python = {
  AccessToken: { k1: at, k2: { ...at, home_account_id: null, target: 'https://graph.microsoft.com/.default' } },
  Account: { k3: account },
  IdToken: {
    k4: {
      credential_type: 'IdToken',
      secret: TOKEN,
      home_account_id: 'o1.t1',
      environment: 'e',
      realm: 't1',
      client_id: 'c1',
    },
  },
  RefreshToken: { k5: { ...rt, target: 'User.Read', last_modification_time: '1', family_id: '1' } },
  AppMetadata: { 'appmetadata-e-c1': { client_id: 'c1', environment: 'e', family_id: null } },
};

describe('checkCacheShape', () => {
  const usable: Array<[string, unknown]> = [
    ['msal’s empty cache', { Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {} }],
    ['a cache the Python MSAL wrote', python],
    [
      'an empty object, and sections and fields msal does not know',
      { Other: TOKEN, AccessToken: { k: { ...at, extra: 5 } } },
    ],
    [
      'an access token with the auth-scheme type and key components',
      {
        AccessToken: {
          k: { ...at, credential_type: 'AccessToken_With_AuthScheme', additionalCacheKeyComponents: { a: 'b' } },
        },
      },
    ],
  ];
  for (const [label, cache] of usable) {
    it(`usable: ${label}`, () => {
      expect(checkCacheShape(JSON.stringify(cache))).toEqual({ verdict: 'usable' });
    });
  }

  const unusable: Array<[string, unknown, string]> = [
    ['a JSON array', [TOKEN], 'the cache is not a JSON object'],
    ['JSON null', null, 'the cache is not a JSON object'],
    ['a section that is a string', { Account: TOKEN }, 'the Account section is not an object'],
    ['a section that is null', { RefreshToken: null }, 'the RefreshToken section is not an object'],
    ['a section that is a list', { AccessToken: [at] }, 'the AccessToken section is not an object'],
    ['an entry that is a string', { Account: { k: TOKEN } }, 'an Account entry is not an object'],
    ['an entry that is null', { IdToken: { k: null } }, 'an IdToken entry is not an object'],
    ['an entry that is a list', { AppMetadata: { appmetadata: [TOKEN] } }, 'an AppMetadata entry is not an object'],
    [
      'a secret that is a number',
      { RefreshToken: { k: { ...rt, secret: 5 } } },
      "a RefreshToken entry's secret is not a string",
    ],
    [
      'a realm that is an object',
      { AccessToken: { k: { ...at, realm: {} } } },
      "an AccessToken entry's realm is not a string",
    ],
    [
      'an access token without target',
      { AccessToken: { k: { ...at, target: undefined } } },
      'an AccessToken entry has no target (scopes)',
    ],
    [
      'an access token with a blank target',
      { AccessToken: { k: { ...at, target: ' ' } } },
      'an AccessToken entry has no target (scopes)',
    ],
    [
      'key components that are not strings',
      { AccessToken: { k: { ...at, additionalCacheKeyComponents: { a: 1 } } } },
      "an AccessToken entry's key components are not an object of strings",
    ],
    [
      'an extended expiry that is a number',
      { AccessToken: { k: { ...at, extended_expires_on: 2 } } },
      "an AccessToken entry's extended expiry is not a string",
    ],
    [
      'tenant profiles that are a string',
      { Account: { k: { ...account, tenantProfiles: TOKEN } } },
      "an Account entry's tenantProfiles is not a list of strings",
    ],
  ];
  for (const [label, cache, reason] of unusable) {
    it(`unusable: ${label}`, () => {
      const text = JSON.stringify(cache);
      const shape = checkCacheShape(text);
      expect(shape).toEqual({ verdict: 'unusable', reason });
      expect(findSecretLeaks(reason, text)).toEqual([]);
    });
  }

  const lossy: Array<[string, unknown, string]> = [
    [
      'a credential type msal does not know',
      { RefreshToken: { k: { ...rt, credential_type: 'refreshtoken' } } },
      "a RefreshToken entry's credential_type is not RefreshToken",
    ],
    [
      'a credential without a type',
      { IdToken: { k: { ...rt, credential_type: undefined } } },
      "an IdToken entry's credential_type is not IdToken",
    ],
    [
      'an access token filed under RefreshToken',
      { RefreshToken: { k: at } },
      "a RefreshToken entry's credential_type is not RefreshToken",
    ],
    [
      'an AppMetadata key msal does not recognise',
      { AppMetadata: { [TOKEN]: { client_id: 'c1', environment: 'e' } } },
      "an AppMetadata entry's key does not start with appmetadata",
    ],
    [
      'null tenant profiles',
      { Account: { k: { ...account, tenantProfiles: null } } },
      "an Account entry's tenantProfiles is null",
    ],
    [
      'one key in two sections',
      { Account: { [TOKEN]: account }, RefreshToken: { [TOKEN]: rt } },
      'one key is used in two sections',
    ],
    [
      'a __proto__ key',
      JSON.parse(`{"Account":{"__proto__":${JSON.stringify(account)}}}`),
      'an Account entry has a key msal-node cannot store',
    ],
  ];
  for (const [label, cache, reason] of lossy) {
    it(`lossy: ${label}`, () => {
      const text = JSON.stringify(cache);
      expect(checkCacheShape(text)).toEqual({ verdict: 'lossy', reason });
      expect(findSecretLeaks(reason, text)).toEqual([]);
    });
  }

  it('reports the unusable over the lossy, wherever they are', () => {
    const cache = { RefreshToken: { a: { ...rt, credential_type: 'x' } }, AppMetadata: { appmetadata: TOKEN } };
    expect(checkCacheShape(JSON.stringify(cache)).verdict).toBe('unusable');
  });

  it('throws the parser’s SyntaxError for text that is not JSON', () => {
    expect(() => checkCacheShape('{"k": eyJ0eXAi')).toThrow(SyntaxError);
  });
});
