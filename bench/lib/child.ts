import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts `bench/workers/<name>.ts` in a fresh Node process (tsx for the TypeScript, built packages
 * inside). With `BENCH_PROF=<dir>` each worker writes a CPU profile there (bench/profile-contention.ts);
 * `BENCH_NODE_FLAGS` passes Node/V8 flags to every worker, for experiments (`--single-threaded`).
 */
export function startWorker(name: string, args: string[]): ChildProcess {
  const script = fileURLToPath(new URL(`../workers/${name}.ts`, import.meta.url));
  return spawn(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
      '--import',
      'tsx',
      script,
      ...args,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
}

/** Resolves with the next JSON line the worker prints that satisfies `match`. */
export function nextLine<T>(child: ChildProcess, match: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let index = buffer.indexOf('\n'); index >= 0; index = buffer.indexOf('\n')) {
        const line = buffer.slice(0, index).trim();
        buffer = buffer.slice(index + 1);
        if (!line.startsWith('{')) continue;
        const value = JSON.parse(line) as T;
        if (match(value)) {
          child.stdout?.off('data', onData);
          child.off('close', onExit);
          resolve(value);
          return;
        }
      }
    };
    const onExit = (code: number | null) => reject(new Error(`bench worker exited (${code}) early`));
    child.stdout?.on('data', onData);
    // 'close', not 'exit': a worker that prints its last line and exits at once can be reported
    // exited before that line's data event has been delivered.
    child.once('close', onExit);
  });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
