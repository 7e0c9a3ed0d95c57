import { existsSync } from 'node:fs';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import {
  busWithoutSecretService,
  privateSecretService,
  refuseKeyring,
  withoutLibsecret,
} from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../src/doctor.js';
import { cli, json, SESSION_VARIABLES, scratch } from './run-cli.js';

const linux = process.platform === 'linux';
const mode = secretServiceTestMode();
skippedNotice(mode, 'msal-persist doctor against the real Secret Service (4 tests)');
const space = scratch('doctor');
afterAll(space.cleanup);

function entry(report: DoctorReport, backend: string) {
  return report.backends.find((each) => each.backend === backend);
}

async function doctor(options: Parameters<typeof cli>[1] = {}) {
  const run = await cli(['doctor', '--app-name', space.appName, '--json'], {
    ...options,
    env: { ...space.env, ...options.env },
  });
  return { run, report: json<DoctorReport>(run) };
}

describe.runIf(linux)('msal-persist doctor on Linux (real backends, real processes)', () => {
  it.runIf(mode.run)(
    'with a Secret Service: libsecret is chosen, encrypted, exit 0, with its item, signal and lock',
    async () => {
      const { run, report } = await doctor();
      expect(run.code).toBe(0);
      expect(report).toMatchObject({ command: 'doctor', ok: true, platform: 'linux', appName: space.appName });
      expect(report.choice).toMatchObject({ backend: 'libsecret', encrypted: true, needsPlaintextFallback: false });
      expect(report.choice?.location).toEqual({
        backend: 'libsecret',
        file: space.cachePath,
        signal: space.cachePath,
        lock: `${space.cachePath}.lockfile`,
        item: `${space.appName}/MSALCache`,
      });
      expect(entry(report, 'kernel-keyring')).toMatchObject({ available: true, encrypted: true });
      expect(entry(report, 'file')).toMatchObject({ available: true, encrypted: false });
      // The probe leaves nothing behind: no cache, no signal file.
      expect(existsSync(space.cachePath)).toBe(false);
    },
  );

  it('without any session bus: libsecret fails with no-dbus-session and its fix; the kernel keyring is chosen', async () => {
    const { run, report } = await doctor({ unset: SESSION_VARIABLES });
    expect(run.code).toBe(0);
    expect(entry(report, 'libsecret')).toMatchObject({
      available: false,
      problem: 'no-dbus-session',
      reason: expect.stringContaining('No D-Bus session bus'),
      fix: expect.stringContaining('dbus-run-session'),
    });
    expect(report.choice).toMatchObject({ backend: 'kernel-keyring', encrypted: true });
    expect(report.choice?.location).toEqual({
      backend: 'kernel-keyring',
      file: `${space.cachePath}.kernel-keyring`,
      lock: `${space.cachePath}.lockfile`,
    });
  });

  it.runIf(mode.run)(
    'on a session bus where no Secret Service runs: no-secret-service, fix starts or installs one',
    async () => {
      const { run, report } = await doctor({ unset: SESSION_VARIABLES, prefix: busWithoutSecretService(space.dir) });
      expect(run.code).toBe(0);
      expect(entry(report, 'libsecret')).toMatchObject({
        available: false,
        problem: 'no-secret-service',
        fix: expect.stringMatching(/gnome-keyring/),
      });
    },
  );

  it.runIf(mode.run)('with the login keyring locked and no prompt possible: store-locked, fix unlocks it', async () => {
    const keyring = privateSecretService(space.dir, { locked: true });
    const { run, report } = await doctor({ unset: SESSION_VARIABLES, prefix: keyring.prefix, env: keyring.env });
    expect(run.code).toBe(0);
    expect(entry(report, 'libsecret')).toMatchObject({
      available: false,
      problem: 'store-locked',
      fix: expect.stringContaining('gnome-keyring-daemon --unlock'),
    });
    expect(report.choice?.backend).toBe('kernel-keyring');
  });

  it('where the kernel refuses keyrings and no Secret Service runs: exit 3, keyring-refused, and the plaintext file needs the fallback', async () => {
    const { run, report } = await doctor({ unset: SESSION_VARIABLES, prefix: refuseKeyring });
    expect(run.code).toBe(3);
    expect(report.ok).toBe(false);
    expect(entry(report, 'kernel-keyring')).toMatchObject({
      available: false,
      problem: 'keyring-refused',
      reason: expect.stringContaining('EPERM'),
      fix: expect.stringContaining('seccomp'),
    });
    expect(report.choice).toMatchObject({ backend: 'file', encrypted: false, needsPlaintextFallback: true });
    expect(report.choice?.location.file).toBe(`${space.cachePath}.plaintext.json`);
  });

  const hidden = withoutLibsecret();
  it.runIf(hidden !== undefined)('without libsecret-1-0 installed: missing-libsecret, fix installs it', async () => {
    const { report } = await doctor({ prefix: hidden ?? [] });
    expect(entry(report, 'libsecret')).toMatchObject({
      available: false,
      problem: 'missing-libsecret',
      fix: expect.stringMatching(/apt-get install -y libsecret-1-0$/),
    });
  });
  if (hidden === undefined)
    console.warn('SKIPPED (needs root for a private mount namespace): doctor without libsecret');

  it('names the other OSes’ backends as wrong-OS, with no fix and no probe', async () => {
    const { report } = await doctor({ unset: SESSION_VARIABLES });
    for (const backend of ['dpapi', 'keychain']) {
      expect(entry(report, backend)).toEqual({
        backend,
        encrypted: true,
        available: false,
        problem: 'wrong-os',
        reason: expect.stringContaining('(this is linux)'),
        fix: null,
      });
    }
  });

  it('prints the same findings as text: each backend, why not, the fix, the choice and its files', async () => {
    const run = await cli(['doctor', '--app-name', space.appName], { env: space.env, unset: SESSION_VARIABLES });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`msal-persist doctor: the token cache of ${space.appName} on linux`);
    expect(run.stdout).toMatch(/✗ libsecret\s+no-dbus-session: No D-Bus session bus/);
    expect(run.stdout).toMatch(/fix: dbus-run-session -- /);
    expect(run.stdout).toMatch(/✓ kernel-keyring\s+encrypted/);
    expect(run.stdout).toMatch(/- dpapi\s+DPAPI is Windows-only/);
    expect(run.stdout).toContain(`createCachePlugin({ appName: '${space.appName}' }) uses kernel-keyring (encrypted):`);
    expect(run.stdout).toContain(`lock file ${space.cachePath}.lockfile`);
    expect(run.stderr).toBe('');
  });
});
