import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { cacheRetention, DEFAULT_REFRESH_TOKEN_IDLE_MS } from '../src/index.js';
import { FakeTokenEndpoint } from '../src/testing/index.js';
import { CLIENT_ID, SCOPES } from './support/msal-apps.js';

const NOW = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

// Real caches, serialized by msal-node itself after real flows against the offline endpoint.
async function daemonCache(idp: FakeTokenEndpoint, resources: string[]): Promise<string> {
  const app = new ConfidentialClientApplication({
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
  });
  for (const resource of resources) await app.acquireTokenByClientCredential({ scopes: [`${resource}/.default`] });
  return app.getTokenCache().serialize();
}

async function signedInCache(idp: FakeTokenEndpoint): Promise<{ app: PublicClientApplication; cache: string }> {
  const app = new PublicClientApplication({
    auth: idp.authConfig(CLIENT_ID),
    system: { networkClient: idp.networkClient },
  });
  await app.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => {} });
  return { app, cache: app.getTokenCache().serialize() };
}

const expiries = (cache: string) =>
  Object.values((JSON.parse(cache) as { AccessToken: Record<string, { expires_on: string }> }).AccessToken).map(
    (token) => Number(token.expires_on) * 1000,
  );

describe('cacheRetention', () => {
  it('an app-token cache (access tokens only) lives until its latest access token expires', async () => {
    const cache = await daemonCache(new FakeTokenEndpoint(), ['api://one']);
    const [expiresAt] = expiries(cache);
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(cacheRetention(cache, { now: NOW })).toBe(expiresAt);
  });

  it('takes the latest of several access tokens, and the same from bytes as from text', async () => {
    const short = new FakeTokenEndpoint({ accessTokenLifetimeSec: 600 });
    const long = new FakeTokenEndpoint({ accessTokenLifetimeSec: 7200 });
    const a = JSON.parse(await daemonCache(short, ['api://one']));
    const b = JSON.parse(await daemonCache(long, ['api://two']));
    const merged = JSON.stringify({ ...a, AccessToken: { ...a.AccessToken, ...b.AccessToken } });
    const latest = Math.max(...expiries(merged));
    expect(expiries(merged)).toHaveLength(2);
    expect(cacheRetention(merged, { now: NOW })).toBe(latest);
    expect(cacheRetention(new TextEncoder().encode(merged), { now: NOW })).toBe(latest);
  });

  it('an expired app token gives a retention in the past: the partition may go now', async () => {
    const cache = await daemonCache(new FakeTokenEndpoint(), ['api://one']);
    const later = Math.max(...expiries(cache)) + HOUR;
    expect(cacheRetention(cache, { now: later })).toBeLessThan(later);
  });

  it('a signed-in user (refresh token) gets a sliding expiry: now + refreshTokenIdleMs', async () => {
    const { cache } = await signedInCache(new FakeTokenEndpoint());
    // The access token (one hour from the real clock) ends before either window does.
    const now = Date.now();
    expect(cacheRetention(cache, { now })).toBe(now + DEFAULT_REFRESH_TOKEN_IDLE_MS);
    expect(cacheRetention(cache, { now: now + HOUR, refreshTokenIdleMs: 2 * HOUR })).toBe(now + 3 * HOUR);
  });

  it('with a refresh token, an access token outliving the idle window still wins', async () => {
    const { cache } = await signedInCache(new FakeTokenEndpoint());
    const [expiresAt] = expiries(cache);
    const now = (expiresAt ?? 0) - 10 * HOUR;
    expect(cacheRetention(cache, { now, refreshTokenIdleMs: HOUR })).toBe(expiresAt);
  });

  it('after sign-out (account removed) nothing is worth keeping: undefined', async () => {
    const { app } = await signedInCache(new FakeTokenEndpoint());
    const [account] = await app.getTokenCache().getAllAccounts();
    if (!account) throw new Error('the sign-in left no account');
    await app.getTokenCache().removeAccount(account);
    const cache = app.getTokenCache().serialize();
    expect(cacheRetention(cache, { now: NOW })).toBeUndefined();
  });

  it('undefined for bytes that are not an msal cache', () => {
    for (const data of ['', 'not json', '[]', 'null', '42', '{"AccessToken":[]}', new Uint8Array([0xff, 0xfe])]) {
      expect(cacheRetention(data, { now: NOW })).toBeUndefined();
    }
  });

  it('ignores access tokens without a usable expiry rather than guessing', () => {
    const cache = JSON.stringify({
      AccessToken: { a: { expires_on: 'soon' }, b: {}, c: { expires_on: '' }, d: null },
      RefreshToken: { r: { credential_type: 'RefreshToken' } },
    });
    expect(cacheRetention(cache, { now: NOW })).toBeUndefined();
  });

  it('rejects a bad option with the option named', () => {
    expect(() => cacheRetention('{}', { refreshTokenIdleMs: -1 })).toThrow(/refreshTokenIdleMs/);
    expect(() => cacheRetention('{}', { now: Number.NaN })).toThrow(/now/);
  });
});
