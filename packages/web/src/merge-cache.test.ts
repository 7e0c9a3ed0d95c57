import { describe, expect, it } from 'vitest';
import { mergeSerializedCache } from './merge-cache.js';

const at = (target: string, secret: string, realm = 't') => ({
  home_account_id: 'u.t',
  environment: 'login',
  realm,
  client_id: 'c',
  credential_type: 'AccessToken',
  token_type: 'Bearer',
  target,
  secret,
});

describe('mergeSerializedCache', () => {
  it('into an empty cache: the fresh cache as it is', () => {
    const fresh = JSON.stringify({ AccessToken: { k: at('a', 's') } });
    expect(JSON.parse(mergeSerializedCache('', fresh))).toEqual(JSON.parse(fresh));
  });

  it('keeps tokens of other scopes, replaces those whose scopes intersect, keeps other tenants', () => {
    const stored = JSON.stringify({
      Account: { acc: { x: 1 } },
      AccessToken: {
        mail: at('mail.read', 'm'),
        old: at('user.read openid', 'o'),
        other: at('user.read', 'x', 'other-tenant'),
      },
      RefreshToken: { rt: { secret: 'old' } },
    });
    const fresh = JSON.stringify({
      AccessToken: { new: at('User.Read profile', 'n') },
      RefreshToken: { rt: { secret: 'new' } },
    });
    const merged = JSON.parse(mergeSerializedCache(stored, fresh)) as Record<
      string,
      Record<string, { secret?: string }>
    >;
    expect(Object.keys(merged.AccessToken ?? {}).sort()).toEqual(['mail', 'new', 'other']);
    expect(merged.RefreshToken?.rt?.secret).toBe('new');
    expect(merged.Account).toEqual({ acc: { x: 1 } });
  });
});
