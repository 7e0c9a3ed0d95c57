import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSecretLeaks } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { daemonApp, publicApp } from './fixtures/apps.js';
import { runFixture, type StoredCache, secretsOf, tempSpacePerTest } from './helpers.js';

const space = tempSpacePerTest();

const readCache = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as StoredCache;

describe('real msal-node over FilePersistence + FileLock, offline', () => {
  it('device code, then 1000 silent calls with no failure and no network; a second process gets the token silently', async () => {
    const { app, idp, plugin } = publicApp(space.cachePath);
    const signedIn = await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
    if (!signedIn?.account) throw new Error('device code sign-in returned no account');
    expect(idp.calls.token.device_code).toBe(1);
    idp.resetCalls();
    let failures = 0;
    for (let i = 0; i < 1000; i++) {
      try {
        const silent = await app.acquireTokenSilent({ scopes: ['User.Read'], account: signedIn.account });
        if (silent.accessToken !== signedIn.accessToken || !silent.fromCache) failures++;
      } catch {
        failures++;
      }
    }
    expect(failures).toBe(0);
    expect(idp.calls.total).toBe(0);
    // The stamp check keeps reads cheap: the file was read back only for the first load.
    expect(plugin.stats.loads).toBeLessThanOrEqual(2);

    const second = await runFixture<{ accessToken: string; fromCache: boolean; network: number }>('silent-reader', [
      space.cachePath,
    ]);
    expect(second).toEqual({ accessToken: signedIn.accessToken, fromCache: true, network: 0 });
  });

  describe('a corrupt cache file: the app keeps working, warns, and keeps the bad bytes aside', () => {
    const cases: [string, (path: string) => void, string | undefined][] = [
      ['garbage bytes', (p) => writeFileSync(p, Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37])), '\u00ff'],
      [
        'truncated JSON',
        (p) => writeFileSync(p, '{"AccessToken":{"x":{"secret":"a'),
        '{"AccessToken":{"x":{"secret":"a',
      ],
      ['a JSON array', (p) => writeFileSync(p, '[1,2,3]'), '[1,2,3]'],
    ];

    it.each(cases)('%s', async (_label, corrupt, original) => {
      corrupt(space.cachePath);
      const warnings: string[] = [];
      const { app } = daemonApp(space.cachePath, { logger: { warn: (m) => warnings.push(m) } });
      const first = await app.acquireTokenByClientCredential({ scopes: ['api://corrupt/.default'] });
      const second = await app.acquireTokenByClientCredential({ scopes: ['api://corrupt-2/.default'] });
      expect(first?.accessToken).toBeTruthy();
      expect(second?.accessToken).toBeTruthy();
      expect(warnings.some((w) => w.includes('cannot be read'))).toBe(true);
      expect(warnings.some((w) => w.includes('kept at'))).toBe(true);

      const kept = readdirSync(space.dir).filter((name) => name.startsWith('msal.json.corrupt-'));
      expect(kept).toHaveLength(1);
      const keptPath = join(space.dir, kept[0] ?? '');
      if (original === '\u00ff') expect([...readFileSync(keptPath)]).toEqual([0xff, 0xfe, 0x00, 0x13, 0x37]);
      else expect(readFileSync(keptPath, 'utf8')).toBe(original);
      const secrets = secretsOf(readCache(space.cachePath));
      expect(secrets.has(first?.accessToken ?? '')).toBe(true);
      expect(secrets.has(second?.accessToken ?? '')).toBe(true);
    });

    it('a real cache cut off in the middle of a token: no warning or error quotes any of it', async () => {
      const { app: first } = daemonApp(space.cachePath);
      await first.acquireTokenByClientCredential({ scopes: ['api://leak-check/.default'] });
      const whole = readFileSync(space.cachePath, 'utf8');
      const secret = Object.values(readCache(space.cachePath).AccessToken)[0]?.secret ?? '';
      const cut = whole.slice(0, whole.indexOf(secret) + Math.floor(secret.length / 2) + 20);
      writeFileSync(space.cachePath, cut);
      const said: string[] = [];
      const logger = { warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
      const { app } = daemonApp(space.cachePath, { logger });
      const errors: unknown[] = [];
      await app
        .acquireTokenByClientCredential({ scopes: ['api://after/.default'] })
        .catch((e: unknown) => errors.push(e));
      expect(said.length).toBeGreaterThan(0);
      expect(findSecretLeaks([said, errors], cut)).toEqual([]);
    });

    it('an empty file is an empty cache, not corrupt: no warning, nothing kept aside', async () => {
      writeFileSync(space.cachePath, '');
      const warnings: string[] = [];
      const { app } = daemonApp(space.cachePath, { logger: { warn: (m) => warnings.push(m) } });
      const result = await app.acquireTokenByClientCredential({ scopes: ['api://empty/.default'] });
      expect(secretsOf(readCache(space.cachePath)).has(result?.accessToken ?? '')).toBe(true);
      expect(warnings).toEqual([]);
      expect(readdirSync(space.dir).filter((name) => name.includes('.corrupt-'))).toEqual([]);
    });
  });
});
