import { dirname, join } from 'node:path';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { LOCK_LOGIN_COLLECTION, privateSecretService, runNodeFixture } from '@msal-persist/test-support';
import { describe, expect, it } from 'vitest';
import type { VerifyResult } from '../src/index.js';
import { scratch } from './run-client.js';

const fixture = join(import.meta.dirname, 'fixtures', 'verify.ts');
const mode = secretServiceTestMode();
const linux = process.platform === 'linux';
skippedNotice(mode, 'verify() on a Secret Service locked after creation');

type Outcome = Omit<VerifyResult, 'error'> & { code?: string };

describe.runIf(linux)('MsalCachePlugin.verify() re-runs the probe on demand (real stores, real processes)', () => {
  it('kernel keyring: ok, then not ok with the reason once its folder is replaced by a file', async () => {
    const space = scratch('verify-kernel');
    try {
      const folder = dirname(space.env.CACHE_PATH);
      const { result } = await runNodeFixture<{ before: Outcome; after: Outcome }>(fixture, [], {
        env: { ...space.env, BACKEND: 'kernel-keyring', BREAK: `rm -rf '${folder}' && touch '${folder}'` },
      });
      expect(result.before).toEqual({ backend: 'kernel-keyring', isEncrypted: true, ok: true });
      expect(result.after).toMatchObject({
        backend: 'kernel-keyring',
        isEncrypted: true,
        ok: false,
        code: expect.any(String),
        reason: expect.stringContaining(folder),
      });
    } finally {
      space.cleanup();
    }
  });

  it.runIf(mode.run)(
    'Secret Service: ok, then StoreLocked once the keyring is locked (no prompt possible)',
    async () => {
      const space = scratch('verify-locked');
      try {
        const keyring = privateSecretService(space.dir);
        const { result } = await runNodeFixture<{ before: Outcome; after: Outcome }>(fixture, [], {
          prefix: keyring.prefix,
          env: { ...space.env, ...keyring.env, BACKEND: 'libsecret', BREAK: LOCK_LOGIN_COLLECTION },
        });
        expect(result.before).toEqual({ backend: 'libsecret', isEncrypted: true, ok: true });
        expect(result.after).toMatchObject({
          backend: 'libsecret',
          ok: false,
          code: 'StoreLocked',
          reason: expect.stringContaining('locked'),
        });
      } finally {
        space.cleanup();
      }
    },
  );
});
