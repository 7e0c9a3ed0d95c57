import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { readProcessStat } from '../src/process-stat.js';

const here = dirname(fileURLToPath(import.meta.url));
export const packageDir = dirname(here);

/** Debian's Python, which has `python3-msal-extensions` (the seed's Python library). */
export { DEBIAN_PYTHON as PYTHON } from '@msal-persist/test-support';

/** A fresh temp folder and its remover. */
export function tempDir(prefix = 'msal-persist-file-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh temp folder for every test of the calling file: `space.dir` and `space.cachePath`
 * (`<dir>/msal.json`) are set before each test and the folder is removed after it.
 */
export function tempSpacePerTest(): { dir: string; cachePath: string } {
  const space = { dir: '', cachePath: '' };
  let current: ReturnType<typeof tempDir> | undefined;
  beforeEach(() => {
    current = tempDir();
    space.dir = current.dir;
    space.cachePath = join(current.dir, 'msal.json');
  });
  afterEach(() => current?.remove());
  return space;
}

/** Starts `test/fixtures/<name>.ts` in a real Node process reading workspace sources. */
export function startFixture(name: string, args: string[], options: { uid?: number; gid?: number } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=dev-source', fixturePath(name), ...args], {
    cwd: packageDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...options,
  });
}

const fixturePath = (name: string) => join(here, 'fixtures', `${name}.ts`);

/** A new pid namespace; --kill-child: killing unshare kills its child too (pid 1 there would outlive it). */
const NEW_PID_NAMESPACE = ['-p', '-f', '--kill-child', '--mount-proc'];

/** Why `unshare -p` cannot run here, or `undefined` when it can (root, or a kernel allowing user namespaces). */
export function unshareUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'pid namespaces exist on Linux only';
  const probe = spawnSync('unshare', [...NEW_PID_NAMESPACE, 'true'], { encoding: 'utf8' });
  if (probe.error) return `unshare is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `unshare -p is not permitted here: ${probe.stderr.trim()}`;
  return undefined;
}

/**
 * Starts a fixture as pid 1 of a new pid namespace (a container's view of itself). The returned
 * process is `unshare`; the fixture is its only child (see {@link childPidOf}).
 */
export function startInNewPidNamespace(name: string, args: string[]): ChildProcess {
  return spawn(
    'unshare',
    [...NEW_PID_NAMESPACE, process.execPath, '--import', 'tsx', '--conditions=dev-source', fixturePath(name), ...args],
    { cwd: packageDir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

/** The pid (in our namespace) of the only child of `pid`, or `undefined` while it has none. */
export function childPidOf(pid: number): number | undefined {
  try {
    const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ');
    return child ? Number(child) : undefined;
  } catch {
    return undefined;
  }
}

/** The state letter of a process in /proc/<pid>/stat (`T`: stopped), or `undefined` when it is gone. */
export function processState(pid: number): string | undefined {
  return readProcessStat(pid)?.state;
}

/** Resolves when the child prints a line satisfying `match` (a JSON line parsed), rejects if it exits first. */
export function waitForLine<T>(child: ChildProcess, match: (value: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let index = buffer.indexOf('\n');
      while (index >= 0) {
        const line = buffer.slice(0, index).trim();
        buffer = buffer.slice(index + 1);
        index = buffer.indexOf('\n');
        if (!line.startsWith('{')) continue;
        const value = JSON.parse(line) as T;
        if (match(value)) {
          child.stdout?.off('data', onData);
          resolve(value);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`fixture exited (${code ?? signal}) before the expected line; stderr: ${stderr}`)),
    );
  });
}

/**
 * Runs a fixture to completion and returns its last JSON line. With `withinMs`, a fixture still
 * running then is SIGKILLed and the promise rejects with "hung" (for code that could block forever).
 */
export async function runFixture<T>(
  name: string,
  args: string[],
  options: { uid?: number; gid?: number; withinMs?: number } = {},
): Promise<T> {
  const { withinMs, ...ids } = options;
  const child = startFixture(name, args, ids);
  let hung = false;
  const watchdog =
    withinMs === undefined
      ? undefined
      : setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, withinMs);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(watchdog);
  if (hung) throw new Error(`fixture ${name} hung: still running after ${withinMs} ms (killed)`);
  const last = stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .at(-1);
  if (code !== 0 || last === undefined) throw new Error(`fixture ${name} failed (${code}): ${stderr}\n${stdout}`);
  return JSON.parse(last) as T;
}

/** Resolves when the child has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface StoredCache {
  AccessToken: Record<string, { secret: string; target?: string }>;
  Account: Record<string, unknown>;
}

/** The access-token secrets in a serialized msal cache. */
export function secretsOf(cache: StoredCache): Set<string> {
  return new Set(Object.values(cache.AccessToken).map((entry) => entry.secret));
}
