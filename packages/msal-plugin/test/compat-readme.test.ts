import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeTokenEndpointCalls } from '@msal-persist/core/testing';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { PersistenceCreator } from '../src/compat/index.js';

// @azure/msal-node-extensions' own README code, with only its import changed, against real
// msal-node offline, in separate processes, on this OS's encrypted store (the real Secret Service
// on Linux under `pnpm test`).
const tsx = createRequire(import.meta.url).resolve('tsx');
const readme = join(import.meta.dirname, 'fixtures', 'verbatim', 'extensions-readme.cjs');
// On Linux the snippet's LibSecretPersistence needs the real Secret Service (required unless explicitly skipped).
const mode = secretServiceTestMode();
const runsHere = process.platform !== 'linux' || mode.run;
if (!runsHere) skippedNotice(mode, 'the msal-node-extensions README snippet (LibSecretPersistence)');
const home = mkdtempSync(join(tmpdir(), 'msal-plugin-compat-readme-'));
// The snippet builds its cache path from the home directory.
const env = { HOME: home, LOCALAPPDATA: home };

interface ReadmeRun {
  persistence: string;
  cachePath: string;
  accessToken: string;
  fromCache?: boolean;
  accounts: string[];
  verified: boolean;
  calls: FakeTokenEndpointCalls;
}

function runReadme(command: 'sign-in' | 'silent'): Promise<ReadmeRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsx, '--conditions=dev-source', readme, command],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the README snippet (${command}) failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as ReadmeRun);
      },
    );
  });
}

afterAll(async () => {
  const persistence = await PersistenceCreator.createPersistence({
    cachePath: join(home, 'cache.json'),
    dataProtectionScope: 'CurrentUser',
    serviceName: '<SERVICE-NAME>',
    accountName: '<ACCOUNT-NAME>',
    loggerOptions: { loggerCallback: () => {} },
  }).catch(() => undefined);
  await persistence?.delete();
  rmSync(home, { recursive: true, force: true });
});

const expectedClass = { win32: 'FilePersistenceWithDataProtection', darwin: 'KeychainPersistence' }[
  process.platform as string
];

describe.runIf(runsHere)('the msal-node-extensions README snippet, import changed to /compat', () => {
  let signedIn: ReadmeRun | undefined;

  it('signs in with device code in one process, on the encrypted store of this OS', async () => {
    signedIn = await runReadme('sign-in');
    expect(signedIn.calls.token.device_code).toBe(1);
    expect(signedIn.accounts).toEqual(['ada@contoso.test']);
    expect(signedIn.persistence).toBe(expectedClass ?? 'LibSecretPersistence');
    expect(signedIn.verified).toBe(true);
    expect(signedIn.cachePath).toBe(join(home, 'cache.json'));
  });

  it('a process started afterwards is served from the cache with zero network calls', async () => {
    const silent = await runReadme('silent');
    expect(silent.fromCache).toBe(true);
    expect(silent.accessToken).toBe(signedIn?.accessToken);
    expect(silent.calls.total).toBe(0);
  });

  it('keeps the lock where the old package kept it, and releases it', () => {
    // The peer locks `<cachePath>.lockfile`; ours is the same file, so old and new writers exclude each other.
    expect(existsSync(join(home, 'cache.json.lockfile'))).toBe(false);
    if (process.platform !== 'win32') expect(existsSync(join(home, 'cache.json'))).toBe(true);
  });
});
