import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeTokenEndpointCalls } from '@msal-persist/core/testing';

const tsx = createRequire(import.meta.url).resolve('tsx');
const fixture = join(import.meta.dirname, 'fixtures', 'identity-client.ts');

/** What the child fixture prints, plus its stderr. */
export interface IdentityRun {
  tokens?: Record<string, string>;
  token?: string;
  record?: string;
  error?: { name: string; typed: boolean; code?: string; message: string };
  calls: FakeTokenEndpointCalls;
  stderr: string;
}

/** Runs test/fixtures/identity-client.ts in a fresh Node process; rejects when it exits non-zero. */
export function runIdentity(args: string[], env: Record<string, string>): Promise<IdentityRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsx, '--conditions=dev-source', fixture, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            Object.assign(new Error(`identity client ${args.join(' ')} failed: ${error.message}\n${stderr}`), {
              exitCode: error.code,
            }),
          );
          return;
        }
        resolve({ ...(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<IdentityRun, 'stderr'>), stderr });
      },
    );
  });
}

/** A fresh cache directory and a keyring account of its own, so test files never share a store. */
export function identityScratch(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `msal-identity-${label}-`));
  return {
    dir,
    env: { CACHE_DIR: join(dir, '.IdentityService'), ACCOUNT_NAME: `${label}-${process.pid}-${Date.now()}` },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
