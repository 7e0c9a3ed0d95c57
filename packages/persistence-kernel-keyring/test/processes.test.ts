import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AccountInfo, PublicClientApplication } from '@azure/msal-node';
import { PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { FileLock } from '@msal-persist/persistence-file';
import { refuseKeyring } from '@msal-persist/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelKeyringPersistence } from '../src/index.js';
import { findKey, keyDescriptionOf, packageDir, tempSpacePerTest, unlinkKeyOf } from './kernel-keyring-cli.js';

const run = promisify(execFile);
const client = join(import.meta.dirname, 'fixtures', 'client.ts');
const space = tempSpacePerTest();
// Writing as another uid takes root (setpriv); elsewhere that one test says it was skipped, and why.
const root = process.getuid?.() === 0;
if (process.platform === 'linux' && !root) {
  console.warn(
    "SKIPPED (not root: setpriv cannot switch uid): another user's cache file in a shared folder is refused",
  );
}
// Registered after the folder's own cleanup, so it runs first: remove the file and its key.
afterEach(() => new KernelKeyringPersistence(space.path).delete());

/** Why `unshare -U -r` (a new user namespace, as a rootless container has) cannot run here, or `undefined`. */
function userNamespaceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'user namespaces are Linux-only';
  const probe = spawnSync('unshare', ['-U', '-r', 'true'], { encoding: 'utf8' });
  if (probe.error) return `unshare is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `unshare -U -r is not permitted here: ${probe.stderr.trim()}`;
  return undefined;
}
const noUserNamespace = userNamespaceUnavailable();
if (noUserNamespace) console.warn(`SKIPPED (${noUserNamespace}): a process in another user namespace deletes nothing`);

interface ClientOutput {
  uid?: number;
  accessToken?: string;
  fromCache?: boolean;
  accounts?: string[];
  network?: number;
  warnings?: string[];
  loaded?: string;
  loadError?: { code: string; message: string };
  keptAside?: string | null;
  error?: { code: string; message: string } | string;
}

/** Runs fixtures/client.ts in a real process; `prefix` runs it through another command (setpriv, seccomp). */
async function child(path: string, command: string, prefix: string[] = [], binding?: string): Promise<ClientOutput> {
  const node = [process.execPath, '--import', 'tsx', '--conditions=dev-source', client, path, command];
  if (binding !== undefined) node.push(binding);
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
    "another user's cache file in a shared folder is refused (AccessDenied naming its owner), never loaded, and left as it is for them",
    async () => {
      // A folder both users may write, as a shared or wrongly owned cache folder would be.
      const shared = join(space.dir, 'shared');
      mkdirSync(shared);
      chmodSync(space.dir, 0o755);
      chmodSync(shared, 0o1777);
      const path = join(shared, 'msal.cache.kernel-keyring');
      const nobodyPrefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
      const nobody = await child(path, 'sign-in', nobodyPrefix);
      expect(nobody).toMatchObject({ uid: 65534, accounts: ['ada@contoso.test'] });
      const theirs = readFileSync(path);

      const load = await child(path, 'load');
      expect(load.error).toMatchObject({
        code: 'AccessDenied',
        message: expect.stringContaining('owned by uid 65534'),
      });
      const ours = await child(path, 'sign-in');
      expect(ours.error).toMatchObject({ code: 'AccessDenied' });
      expect(readFileSync(path)).toEqual(theirs);
      expect(readdirSync(shared).filter((name) => name.includes('.corrupt-'))).toEqual([]);
      expect((await child(path, 'load', nobodyPrefix)).loaded).toContain('ada@contoso.test');
      await child(path, 'delete', nobodyPrefix);
    },
    120_000,
  );

  it.runIf(root)(
    'deleting a cache path where another user put a file naming one of our keys removes their file, never our key',
    async () => {
      const shared = join(space.dir, 'shared');
      mkdirSync(shared);
      chmodSync(space.dir, 0o755);
      chmodSync(shared, 0o777);
      // Our real cache elsewhere, and its key.
      await new KernelKeyringPersistence(space.path).save(new TextEncoder().encode('{"ours":1}'));
      const ourKey = keyDescriptionOf(space.path);
      // Their file at a path we use, carrying our header (uid and key id): its bytes are theirs to choose.
      const path = join(shared, 'msal.cache.kernel-keyring');
      writeFileSync(path, readFileSync(space.path));
      chownSync(path, 65534, 65534);
      await new KernelKeyringPersistence(path).delete();
      expect(existsSync(path)).toBe(false);
      expect(await findKey(ourKey)).not.toBeNull();
      expect(new TextDecoder().decode((await new KernelKeyringPersistence(space.path).load()) ?? undefined)).toBe(
        '{"ours":1}',
      );
    },
  );

  it.runIf(noUserNamespace === undefined)(
    'a process of the same uid in another user namespace (unshare -U -r, a rootless container) finds no key: Corrupt saying so, the file kept aside, never deleted, the key untouched',
    async () => {
      const persistence = new KernelKeyringPersistence(space.path);
      await persistence.save(new TextEncoder().encode('{"Account":{"a":{"home_account_id":"host"}}}'));
      const written = readFileSync(space.path);
      const description = keyDescriptionOf(space.path);

      const inside = await child(space.path, 'keep-aside', ['unshare', '-U', '-r']);
      expect(inside.loadError).toMatchObject({
        code: 'Corrupt',
        message: expect.stringContaining('another user namespace'),
      });
      expect(inside.keptAside).toMatch(/\.corrupt-/);
      // The host's key is still there, so its bytes are too (aside, byte for byte): nothing was lost.
      expect(await findKey(description)).not.toBeNull();
      expect(readFileSync(inside.keptAside ?? '')).toEqual(written);
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
