import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeTokenEndpointCalls } from '@msal-persist/core/testing';

const tsx = createRequire(import.meta.url).resolve('tsx');
const fixture = join(import.meta.dirname, 'fixtures', 'client.ts');

/** What the child fixture prints. */
export interface ClientResult {
  backend: string;
  encrypted: boolean;
  accessToken?: string;
  fromCache?: boolean;
  accounts?: string[];
  tokens?: Record<string, string>;
  calls: FakeTokenEndpointCalls;
  stderr: string;
}

/** Runs test/fixtures/client.ts in a fresh Node process and parses its JSON line. */
export function runClient(args: string[], env: Record<string, string>): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsx, '--conditions=dev-source', fixture, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`client ${args.join(' ')} failed: ${error.message}\n${stderr}`));
          return;
        }
        const line = stdout.trim().split('\n').pop() ?? '';
        resolve({ ...(JSON.parse(line) as Omit<ClientResult, 'stderr'>), stderr });
      },
    );
  });
}

/** A fresh directory and unique keyring names for one test; `cleanup` removes the directory. */
export function scratch(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `msal-plugin-${label}-`));
  const id = `${label}-${process.pid}-${Date.now()}`;
  return {
    dir,
    env: { CACHE_PATH: join(dir, 'msal.cache'), ACCOUNT_NAME: id, SERVICE_NAME: 'msal-persist-tests' },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
