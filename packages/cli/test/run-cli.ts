import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelKeyringPersistence } from '@msal-persist/msal-plugin/kernel-keyring';
import {
  type NodeScriptOptions,
  type ProcessRun,
  runNodeFixture,
  runNodeScript,
  runNodeScriptInTerminal,
} from '@msal-persist/test-support';

export const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');
const signInFixture = join(import.meta.dirname, 'fixtures', 'sign-in.ts');

/** The variables that locate a Secret Service; removed to get none at all, as over SSH. */
export const SESSION_VARIABLES = ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'GNOME_KEYRING_CONTROL'];

/** A scratch folder as the user cache folder (XDG_CACHE_HOME) and a unique app name for one test. */
export function scratch(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `msal-persist-cli-${label}-`));
  const appName = `cli-${label}-${process.pid}-${Date.now().toString(36)}`;
  return {
    dir,
    appName,
    /** The app's default cache base path (`createCachePlugin`'s cachePath). */
    cachePath: join(dir, appName, 'msal.cache'),
    env: { XDG_CACHE_HOME: dir },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `msal-persist ARGS` (the real entry, from source) in a child process; never a terminal. */
export function cli(args: string[], options: NodeScriptOptions = {}): Promise<ProcessRun> {
  return runNodeScript(CLI, args, options);
}

/** Runs `msal-persist ARGS` on a pseudo-terminal; `answer` is typed at its question. */
export function cliInTerminal(args: string[], options: NodeScriptOptions & { answer?: string } = {}) {
  return runNodeScriptInTerminal(CLI, args, options);
}

/** What fixtures/sign-in.ts prints. */
export interface SignedIn {
  backend: string;
  homeAccountIds: string[];
  secrets: string[];
}

/** Signs users of an app in, in a child process, against the backend `env` selects. */
export async function signIn(env: Record<string, string>, options: NodeScriptOptions = {}): Promise<SignedIn> {
  const { result } = await runNodeFixture<SignedIn>(signInFixture, [], { ...options, env: { ...options.env, ...env } });
  return result;
}

/** Parses a `--json` run's stdout: exactly one JSON document. */
export function json<T = Record<string, unknown>>(run: ProcessRun): T {
  return JSON.parse(run.stdout) as T;
}

/** Removes a kernel-keyring cache file and its key from the user's keyring (tests clean up after themselves). */
export async function forgetKernelKeyringCache(file: string): Promise<void> {
  await new KernelKeyringPersistence(file).delete();
}
