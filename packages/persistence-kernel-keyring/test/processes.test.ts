import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AccountInfo, PublicClientApplication } from '@azure/msal-node';
import { PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { FileLock } from '@msal-persist/persistence-file';
import { refuseKeyring } from '@msal-persist/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelKeyringPersistence } from '../src/index.js';
import { packageDir, tempSpacePerTest, unlinkKeyOf } from './kernel-keyring-cli.js';

const run = promisify(execFile);
const client = join(import.meta.dirname, 'fixtures', 'client.ts');
const space = tempSpacePerTest();
// Writing as another uid takes root (setpriv); elsewhere that one test says it was skipped, and why.
const root = process.getuid?.() === 0;
if (process.platform === 'linux' && !root) {
  console.warn("SKIPPED (not root: setpriv cannot switch uid): another user's cache file is Corrupt for us");
}
// Registered after the folder's own cleanup, so it runs first: remove the file and its key.
afterEach(() => new KernelKeyringPersistence(space.path).delete());

interface ClientOutput {
  uid?: number;
  accessToken?: string;
  fromCache?: boolean;
  accounts?: string[];
  network?: number;
  warnings?: string[];
  loaded?: string;
  error?: { code: string; message: string } | string;
}

/** Runs fixtures/client.ts in a real process; `prefix` runs it through another command (setpriv, seccomp). */
async function child(path: string, command: string, prefix: string[] = []): Promise<ClientOutput> {
  const node = [process.execPath, '--import', 'tsx', '--conditions=dev-source', client, path, command];
  const [file = '', ...args] = [...prefix, ...node];
  const { stdout } = await run(file, args, { cwd: packageDir, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ClientOutput;
}

describe.runIf(process.platform === 'linux')('real msal-node over the kernel keyring, across processes', () => {
  it('a device-code sign-in in one process is read silently by another, with zero network calls', async () => {
    const first = await child(space.path, 'sign-in');
    expect(first.accounts).toEqual(['ada@contoso.test']);
    const second = await child(space.path, 'silent');
    expect(second).toMatchObject({ accessToken: first.accessToken, fromCache: true, network: 0, warnings: [] });
  });

  it('key removed with `keyctl unlink` under a running app: others warn and start empty, the app keeps working, later saves work', async () => {
    const warnings: string[] = [];
    const idp = new FakeTokenEndpoint();
    const running = new PublicClientApplication({
      auth: idp.authConfig('aaaaaaaa-0000-4000-8000-00000000c11e'),
      system: { networkClient: idp.networkClient },
      cache: {
        cachePlugin: new PersistenceCachePlugin({
          persistence: new KernelKeyringPersistence(space.path),
          lock: new FileLock(`${space.path}.lockfile`),
          logger: { warn: (message) => warnings.push(message) },
        }),
      },
    });
    const signedIn = await running.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
    const account = signedIn?.account as AccountInfo;

    await unlinkKeyOf(space.path);

    const other = await child(space.path, 'accounts');
    expect(other.accounts).toEqual([]);
    expect(other.warnings?.join('\n')).toContain('is no longer in the kernel keyring');

    // The running app still holds its tokens; its next write stores them under a new key.
    const refreshed = await running.acquireTokenSilent({ scopes: ['User.Read'], account, forceRefresh: true });
    expect(refreshed.accessToken).not.toBe(signedIn?.accessToken);
    expect(warnings).toEqual([]);

    const later = await child(space.path, 'silent');
    expect(later).toMatchObject({ accessToken: refreshed.accessToken, fromCache: true, network: 0, warnings: [] });
  });

  it.runIf(root)(
    "another user's cache file is Corrupt for us: the app warns, starts empty, keeps that file aside, and signs in",
    async () => {
      // A folder both users may write, as a shared or wrongly owned cache folder would be.
      const shared = join(space.dir, 'shared');
      mkdirSync(shared);
      chmodSync(space.dir, 0o755);
      chmodSync(shared, 0o777);
      const path = join(shared, 'msal.cache.kernel-keyring');
      const nobody = await child(path, 'sign-in', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
      expect(nobody).toMatchObject({ uid: 65534, accounts: ['ada@contoso.test'] });

      const load = await child(path, 'load');
      expect(load.error).toMatchObject({ code: 'Corrupt', message: expect.stringContaining('written by uid 65534') });

      const ours = await child(path, 'sign-in');
      expect(ours.accounts).toEqual(['ada@contoso.test']);
      expect(ours.warnings?.join('\n')).toContain('written by uid 65534');
      expect(readdirSync(shared).filter((name) => name.includes('.corrupt-'))).toHaveLength(1);
      // The kept copy is theirs, still readable by them.
      const kept = readdirSync(shared).find((name) => name.includes('.corrupt-')) ?? '';
      const theirs = await child(join(shared, kept), 'load', [
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
      ]);
      expect(theirs.loaded).toContain('ada@contoso.test');
      await child(join(shared, kept), 'delete', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
      await new KernelKeyringPersistence(path).delete();
    },
    120_000,
  );

  it("where the kernel refuses the keyring calls (a seccomp profile like Docker's): NotAvailable with the reason, nothing written", async () => {
    const refused = await child(space.path, 'sign-in', refuseKeyring);
    expect(refused.error).toMatchObject({
      code: 'NotAvailable',
      message: expect.stringContaining('The kernel refused the keyring call (EPERM)'),
    });
    expect(existsSync(space.path)).toBe(false);
  });
});
