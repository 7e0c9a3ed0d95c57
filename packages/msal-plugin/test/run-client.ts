import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeTokenEndpointCalls } from '@msal-persist/core/testing';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { noSecretService, runNodeFixture } from '@msal-persist/test-support';
import { type BackendName, backendFor } from '../src/index.js';

const fixture = join(import.meta.dirname, 'fixtures', 'client.ts');

/** What the child fixture prints. */
export interface ClientResult {
  backend: string;
  encrypted: boolean;
  cachePath: string;
  accessToken?: string;
  fromCache?: boolean;
  accounts?: string[];
  tokens?: Record<string, string>;
  calls: FakeTokenEndpointCalls;
  stderr: string;
}

export { noSecretService, refuseKeyring } from '@msal-persist/test-support';

const mode = secretServiceTestMode();

/**
 * The encrypted backend the end-to-end tests run on, and the child environment that gets it: the
 * OS's store; on Linux the real Secret Service, unless MSAL_PERSIST_SKIP_SECRET_SERVICE=1, which
 * runs them on the kernel keyring instead (the child's bus pointed nowhere).
 */
export function encryptedTarget(what: string): { backend: BackendName; env: Record<string, string> } {
  if (process.platform === 'linux' && !mode.run) {
    skippedNotice(mode, `${what} on the Secret Service; they run on the kernel keyring instead`);
    return { backend: 'kernel-keyring', env: noSecretService };
  }
  const backend = backendFor(process.platform);
  if (!backend) throw new Error(`no encrypted backend for ${process.platform}`);
  return { backend, env: {} };
}

/**
 * Runs test/fixtures/client.ts in a fresh Node process and parses its JSON line; `prefix` runs it
 * through another command first (e.g. {@link refuseKeyring}).
 */
export async function runClient(
  args: string[],
  env: Record<string, string>,
  prefix: string[] = [],
): Promise<ClientResult> {
  const { result, stderr } = await runNodeFixture<Omit<ClientResult, 'stderr'>>(fixture, args, { env, prefix });
  return { ...result, stderr };
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
