import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const INSTALL: Record<string, string> = {
  'redis-server': 'apt-get install -y redis-server',
  'redis-cli': 'apt-get install -y redis-tools',
  openssl: 'apt-get install -y openssl',
  python3: 'apt-get install -y python3',
};

/** Throws (the test fails, never skips) when `command` is not installed, naming the install line. */
export function requireBinary(command: string): void {
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (probe.error)
    throw new Error(`${command} not found: ${INSTALL[command] ?? `install ${command}`}`, { cause: probe.error });
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port. With `alsoFree` (a Redis Cluster node needs its bus port, port + 10000),
 * the port plus that offset is free too.
 */
export async function freePort(alsoFree?: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const picked = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(picked));
      });
    });
    if (alsoFree === undefined) return port;
    if (port + alsoFree <= 65535 && (await listenable(port + alsoFree))) return port;
    // Ephemeral ports sit high; try a random lower one instead.
    const low = 20000 + Math.floor(Math.random() * 30000);
    if ((await listenable(low)) && (await listenable(low + alsoFree))) return low;
  }
  throw new Error('no free loopback port');
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // A failed test must not leave servers behind.
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns a server child tracked for cleanup; stderr (and stdout) is collected for error messages. */
export function spawnServer(
  command: string,
  args: string[],
  cwd?: string,
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => output };
}

/** Resolves once `child` has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGCONT, then `signal`, then SIGKILL after 3 s; resolves once it is gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  child.kill('SIGCONT');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited(child);
  clearTimeout(timer);
}

/** Polls `check` every 20 ms until it is true; throws `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs redis-cli with `args` and returns its stdout; throws with its output when it fails. */
export function redisCli(args: string[]): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}
