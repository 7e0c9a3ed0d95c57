import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeTokenEndpointCalls } from '@msal-persist/core/testing';
import { runNodeFixture } from '@msal-persist/test-support';

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

/**
 * Runs test/fixtures/identity-client.ts in a fresh Node process (under `prefix`, e.g. a kernel
 * refusing keyrings); rejects with `exitCode` when it exits non-zero.
 */
export async function runIdentity(
  args: string[],
  env: Record<string, string>,
  prefix: string[] = [],
): Promise<IdentityRun> {
  const { result, stderr } = await runNodeFixture<Omit<IdentityRun, 'stderr'>>(fixture, args, { env, prefix });
  return { ...result, stderr };
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
