import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { privateSecretService } from '@msal-persist/test-support';

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, '..');
const child = join(import.meta.dirname, 'fixtures', 'child.ts');

/** What fixtures/child.ts prints. */
export type ChildResult = Record<string, unknown>;

/** The environment without any session bus or display: what an SSH session or a container has. */
export function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/** Runs fixtures/child.ts once with `env`; parses its JSON line. */
export async function inChild(env: NodeJS.ProcessEnv, signalPath: string, action: string): Promise<ChildResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--conditions=dev-source', child, signalPath, action],
    { cwd: packageDir, env, timeout: 30_000 },
  );
  return JSON.parse(stdout) as ChildResult;
}

/**
 * Runs `steps` (bash) inside a D-Bus session and GNOME Keyring of their own, created under `dir`,
 * so a test can lock or freeze its Secret Service without touching the one other tests use.
 * `CHILD SIGNAL ACTION` in `steps` runs fixtures/child.ts; resolves with every JSON line printed.
 */
export async function withPrivateSecretService(dir: string, steps: string[]): Promise<ChildResult[]> {
  const home = mkdtempSync(join(dir, 'home-'));
  const keyring = privateSecretService(dir);
  const script = [
    'set -e',
    'CHILD() { "$NODE" --import tsx --conditions=dev-source "$CHILD_TS" "$@"; echo; }',
    ...steps,
  ];
  const env = {
    ...envWithout('DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'GNOME_KEYRING_CONTROL'),
    ...keyring.env,
    HOME: home,
    NODE: process.execPath,
    CHILD_TS: child,
  };
  const [command = '', ...args] = keyring.prefix;
  const { stdout } = await run(command, [...args, 'bash', '-c', script.join('\n')], {
    cwd: packageDir,
    env,
    timeout: 60_000,
  });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ChildResult);
}
