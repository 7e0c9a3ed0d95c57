import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { nodeCommand } from '@msal-persist/test-support';

const fixture = join(import.meta.dirname, 'fixtures', 'hold-lock.ts');

/** A process holding the cache lock at `lockPath`; `namespace` makes it look like another host's. */
export async function holdLock(lockPath: string, namespace?: string): Promise<{ pid: number; child: ChildProcess }> {
  const [command = '', ...args] = nodeCommand(fixture, [lockPath, ...(namespace ? [namespace] : [])]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    child.stdout
      ?.setEncoding('utf8')
      .once('data', (line: string) => resolve((JSON.parse(line) as { pid: number }).pid));
    child.once('exit', (code) => reject(new Error(`hold-lock exited with ${code}`)));
  });
  return { pid, child };
}

/** Kills `child` and waits until it is gone. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}
