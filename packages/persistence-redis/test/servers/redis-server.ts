import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireBinary, spawnServer, stopChild, waitFor } from './processes.js';

/** A real redis-server child on a loopback port. Without `args` saying otherwise it keeps nothing on disk. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Its working folder (AOF, RDB, cluster config), removed by `stop()`. */
  readonly dir: string;
  /** The process id while it runs. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
  /** Kills it with SIGKILL, like a crash; `start()` brings it back with the same folder. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with the same arguments and folder. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** More redis-server arguments: `['--appendonly', 'yes']`, `['--replicaof', '127.0.0.1', '6380']`, TLS… */
  args?: readonly string[];
  /** Port; default a free one (with its cluster bus port free too when `args` enable cluster mode). */
  port?: number;
}

/** Answers whether something on `port` replies +PONG to a plain-text PING. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Starts redis-server for a test file (or a bench suite). Fails (never skips) when it is not
 * installed. A TLS server still gets its plain `port`, which the helpers use to check readiness.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireBinary('redis-server');
  const extra = options.args ?? [];
  const port = options.port ?? (await freePort(extra.includes('--cluster-enabled') ? 10_000 : undefined));
  const dir = mkdtempSync(join(tmpdir(), 'msal-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const { child: proc, output } = spawnServer('redis-server', [
      ...args,
      ...extra,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ]);
    child = proc;
    await waitFor(`redis-server on port ${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${output()}`);
      return ping(port);
    });
  };
  const signal = async (name: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    await stopChild(proc, name);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child?.pid;
    },
    start,
    stop: async () => {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => signal('SIGKILL'),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
