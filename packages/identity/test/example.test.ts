import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPersistence } from '@msal-persist/msal-plugin';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY_ACCOUNT, IDENTITY_SERVICE, identityCacheDirectory, SHARED_ITEM_FILE } from '../src/cache-location.js';

const exampleDir = join(import.meta.dirname, '..', '..', '..', 'examples', 'identity');
const tsx = createRequire(import.meta.url).resolve('tsx');
const home = mkdtempSync(join(tmpdir(), 'msal-identity-example-'));
const env = { HOME: home, APPDATA: process.platform === 'win32' ? join(home, 'AppData', 'Roaming') : '' };

function runExample(): Promise<{ networkCalls: number; tokens: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsx, '--conditions=dev-source', join(exampleDir, 'identity.ts'), 'api://example/.default'],
      { cwd: exampleDir, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      },
    );
  });
}

afterAll(async () => {
  const directory = identityCacheDirectory(env);
  const { persistence } = await createPersistence({
    cachePath: join(directory, process.platform === 'win32' ? 'msal.cache.nocae' : SHARED_ITEM_FILE),
    serviceName: IDENTITY_SERVICE,
    accountName: IDENTITY_ACCOUNT,
    logger: {},
  }).catch(() => ({ persistence: undefined }));
  await persistence?.delete();
  rmSync(home, { recursive: true, force: true });
});

describe('examples/identity', () => {
  it('the second run is served from the cache the first one filled, offline', async () => {
    const first = await runExample();
    expect(first.networkCalls).toBe(1);
    const second = await runExample();
    expect(second.networkCalls).toBe(0);
    expect(second.tokens).toEqual(first.tokens);
  });
});
