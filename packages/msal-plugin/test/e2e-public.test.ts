import { afterAll, describe, expect, it } from 'vitest';
import { createPersistence } from '../src/index.js';
import { encryptedTarget, runClient, scratch } from './run-client.js';

// Real processes, real msal-node, the real OS backend (the Secret Service on Linux), offline
// against the fake token endpoint.
const target = encryptedTarget('msal-plugin public client e2e');
const space = scratch('public');
const env = { ...space.env, ...target.env };

afterAll(async () => {
  try {
    const { persistence } = await createPersistence({
      cachePath: env.CACHE_PATH,
      accountName: env.ACCOUNT_NAME,
      serviceName: env.SERVICE_NAME,
      backend: target.backend,
      logger: {},
    });
    await persistence.delete();
  } finally {
    space.cleanup();
  }
});

describe('public client across processes', () => {
  let signedInToken: string | undefined;

  it(`signs in with device code in one process, on the encrypted backend (${target.backend})`, async () => {
    const first = await runClient(['public', 'sign-in'], env);
    expect(first.calls.token.device_code).toBe(1);
    expect(first.accounts).toEqual(['ada@contoso.test']);
    expect(first.backend).toBe(target.backend);
    expect(first.encrypted).toBe(true);
    signedInToken = first.accessToken;
  });

  it('a process started afterwards gets the token silently with zero network calls', async () => {
    const second = await runClient(['public', 'silent'], env);
    expect(second.fromCache).toBe(true);
    expect(second.accessToken).toBe(signedInToken);
    expect(second.calls.total).toBe(0);
  });

  it('redeems the refresh token when the access token expired, and the next process reuses the result', async () => {
    // Store an access token that expires within msal's 5-minute window, so it counts as expired.
    const shortLived = await runClient(['public', 'refresh'], { ...env, AT_LIFETIME: '60' });
    expect(shortLived.calls.token.refresh_token).toBe(1);
    const refreshing = await runClient(['public', 'silent'], env);
    expect(refreshing.calls.token.refresh_token).toBe(1);
    expect(refreshing.fromCache).toBe(false);
    expect(refreshing.accessToken).not.toBe(signedInToken);
    const after = await runClient(['public', 'silent'], env);
    expect(after.calls.total).toBe(0);
    expect(after.accessToken).toBe(refreshing.accessToken);
  });

  it('sign-out in one process is visible to the next', async () => {
    const out = await runClient(['public', 'sign-out'], env);
    expect(out.accounts).toEqual([]);
    const next = await runClient(['public', 'accounts'], env);
    expect(next.accounts).toEqual([]);
    expect(next.calls.total).toBe(0);
  });
});
