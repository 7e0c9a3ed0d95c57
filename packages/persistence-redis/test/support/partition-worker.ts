import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RedisPartitionedStoreStats } from '../../src/index.js';
import { exited } from '../servers/processes.js';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A `test/fixtures/partition-worker.ts` process: one web server of a fleet, driven request by request. */
export interface PartitionWorker {
  /** Reads `key`'s partition as the cache plugin does (stamp, then load): its text, or null. */
  read(key: string): Promise<string | null>;
  /** Writes `value` to `key`'s partition under its lock; resolves with the new stamp. */
  write(key: string, value: string): Promise<string>;
  /** The worker's `store.stats()`. */
  stats(): Promise<RedisPartitionedStoreStats>;
  /** Closes its store and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts a worker on `env` (REDIS_URL, PREFIX, optional KEYS) and waits until its store is open. */
export async function startPartitionWorker(env: Record<string, string>): Promise<PartitionWorker> {
  const script = fileURLToPath(new URL('../fixtures/partition-worker.ts', import.meta.url));
  const child: ChildProcess = fork(script, [], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx', '--conditions=dev-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let sequence = 0;
  child.on('message', (reply: { id: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) waiter?.reject(new Error(reply.error));
    else waiter?.resolve(reply.result);
  });
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`partition worker exited with ${code}`));
    pending.clear();
  });
  const call = (request: object, id = ++sequence) =>
    new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (id !== 0) child.send({ id, ...request });
    });
  await call({}, 0);
  return {
    read: async (key) => (await call({ op: 'read', key })) as string | null,
    write: async (key, value) => (await call({ op: 'write', key, value })) as string,
    stats: async () => (await call({ op: 'stats' })) as RedisPartitionedStoreStats,
    stop: async () => {
      if (child.connected) child.disconnect();
      await exited(child);
    },
  };
}
