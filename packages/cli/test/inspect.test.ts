import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../src/inspect.js';
import { holdLock, kill } from './lock-holder.js';
import { cli, forgetKernelKeyringCache, json, SESSION_VARIABLES, scratch, signIn } from './run-cli.js';

const linux = process.platform === 'linux';
const mode = secretServiceTestMode();
skippedNotice(mode, 'msal-persist inspect on the real Secret Service (1 test)');
const space = scratch('inspect');
afterAll(space.cleanup);

const DAEMON_ID = 'aaaaaaaa-0000-4000-8000-0000000dae70';

function expectAdaAndBo(report: InspectReport, homeAccountIds: string[]) {
  expect(report.accounts.map((account) => account.homeAccountId).sort()).toEqual([...homeAccountIds].sort());
  const ada = report.accounts.find((account) => account.username === 'ada@contoso.test');
  expect(ada).toMatchObject({
    name: 'ada',
    accessTokens: { count: 1, expired: 0, nextExpiresOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    refreshTokens: { count: 1 },
    idTokens: { count: 1 },
  });
  expect(Date.parse(ada?.accessTokens.nextExpiresOn ?? '')).toBeGreaterThan(Date.now());
  expect(report.appTokens).toEqual([{ clientId: DAEMON_ID, accessTokens: expect.objectContaining({ count: 1 }) }]);
}

describe('msal-persist inspect (real backends, real processes)', () => {
  it('a plaintext cache file: backend, size, last change, free lock, accounts with token counts and expiry', async () => {
    const file = join(space.dir, 'extension-cache.json');
    const { homeAccountIds } = await signIn({ CACHE_FILE: file, USERS: 'ada,bo' });
    const run = await cli(['inspect', '--cache-path', file, '--json']);
    expect(run.code).toBe(0);
    const report = json<InspectReport>(run);
    const stats = statSync(file);
    expect(report).toMatchObject({
      command: 'inspect',
      appName: null,
      backend: 'file',
      encrypted: false,
      location: { backend: 'file', file, lock: `${file}.lockfile` },
      stored: true,
      size: stats.size,
      lastChange: stats.mtime.toISOString(),
      lock: { state: 'free' },
      readable: true,
    });
    expectAdaAndBo(report, homeAccountIds);

    const text = await cli(['inspect', '--cache-path', file]);
    expect(text.stdout).toContain(`msal-persist inspect: ${file}`);
    expect(text.stdout).toMatch(/backend\s+file \(plaintext file, PLAINTEXT\)/);
    expect(text.stdout).toMatch(/lock\s+free/);
    expect(text.stdout).toContain('2 account(s)');
    expect(text.stdout).toMatch(
      /ada@contoso\.test \(ada\)\n\s+home account id \S+\n\s+tenants \S+\n\s+1 access token\(s\), next expiry/,
    );
    expect(text.stdout).toContain(`client ${DAEMON_ID}: 1 access token(s)`);
  });

  it.runIf(linux && mode.run)('an app on the Secret Service: the item, its change signal and its time', async () => {
    const { backend, homeAccountIds } = await signIn({ ...space.env, APP_NAME: space.appName, USERS: 'ada,bo' });
    expect(backend).toBe('libsecret');
    const report = json<InspectReport>(
      await cli(['inspect', '--app-name', space.appName, '--json'], { env: space.env }),
    );
    expect(report).toMatchObject({
      appName: space.appName,
      backend: 'libsecret',
      encrypted: true,
      location: { item: `${space.appName}/MSALCache`, signal: space.cachePath },
      stored: true,
      lastChange: statSync(space.cachePath).mtime.toISOString(),
    });
    expect(report.size).toBeGreaterThan(1000);
    expectAdaAndBo(report, homeAccountIds);
  });

  it.runIf(linux)('an app on the kernel keyring, found without a Secret Service as the app finds it', async () => {
    const app = `${space.appName}-kk`;
    const env = { ...space.env, APP_NAME: app, BACKEND: 'kernel-keyring', USERS: 'ada,bo' };
    const file = join(space.dir, app, 'msal.cache.kernel-keyring');
    try {
      const { homeAccountIds } = await signIn(env);
      const run = await cli(['inspect', '--app-name', app, '--json'], { env: space.env, unset: SESSION_VARIABLES });
      const report = json<InspectReport>(run);
      expect(report).toMatchObject({ backend: 'kernel-keyring', encrypted: true, location: { file }, stored: true });
      expect(report.lastChange).toBe(statSync(file).mtime.toISOString());
      expectAdaAndBo(report, homeAccountIds);
    } finally {
      await forgetKernelKeyringCache(file);
    }
  });

  it('the lock: held by a pid of this host, held elsewhere, stale once its holder died, free', async () => {
    const file = join(space.dir, 'locked-cache.json');
    await signIn({ CACHE_FILE: file });
    const lockOf = async () => json<InspectReport>(await cli(['inspect', '--cache-path', file, '--json'])).lock;

    const here = await holdLock(`${file}.lockfile`);
    try {
      expect(await lockOf()).toMatchObject({ state: 'held', pid: here.pid, thisHost: true });
      const text = await cli(['inspect', '--cache-path', file]);
      expect(text.stdout).toContain(`held by pid ${here.pid} on this host`);
    } finally {
      await kill(here.child, 'SIGKILL');
    }
    expect(await lockOf()).toMatchObject({ state: 'stale', pid: here.pid, thisHost: true });
    // The next writer breaks it: a sign-in goes through.
    await signIn({ CACHE_FILE: file });
    expect(await lockOf()).toEqual({ state: 'free' });

    const elsewhere = await holdLock(`${file}.lockfile`, 'build-agent-7/boot/4026531836');
    try {
      expect(await lockOf()).toMatchObject({ state: 'held', thisHost: false });
      const text = await cli(['inspect', '--cache-path', file]);
      expect(text.stdout).toContain('on another host or container');
    } finally {
      await kill(elsewhere.child);
    }
  });

  it('an unreadable cache: stored, not readable, why (never its content), exit 0', async () => {
    const file = join(space.dir, 'garbage.json');
    writeFileSync(file, 'not a cache: secret-looking-bytes-0123456789', { mode: 0o600 });
    const run = await cli(['inspect', '--cache-path', file, '--json']);
    expect(run.code).toBe(0);
    expect(json<InspectReport>(run)).toMatchObject({
      stored: true,
      readable: false,
      problem: 'the stored bytes are not JSON',
      accounts: [],
    });
    const text = await cli(['inspect', '--cache-path', file]);
    expect(text.stdout).toContain('The stored cache is unreadable: the stored bytes are not JSON.');
    expect(`${run.stdout}${text.stdout}`).not.toContain('secret-looking');
  });

  it('nothing stored yet: size null, no account', async () => {
    const file = join(space.dir, 'never-written.json');
    const report = json<InspectReport>(await cli(['inspect', '--cache-path', file, '--json']));
    expect(report).toMatchObject({ stored: false, size: null, lastChange: null, accounts: [], appTokens: [] });
  });

  it.runIf(linux)('a forced backend that does not work here: exit 4, one line with the fix', async () => {
    const run = await cli(['inspect', '--app-name', space.appName, '--backend', 'libsecret'], {
      env: space.env,
      unset: SESSION_VARIABLES,
    });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^msal-persist: No D-Bus session bus: .* Fix: dbus-run-session -- /);
  });
});
