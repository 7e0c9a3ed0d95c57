// What both web examples share: the partitioned store chosen from the environment, and an
// Express app listening on PORT (one process, or WORKERS processes behind that one port).
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PartitionedStore } from '@msal-persist/core';
import type { ErrorRequestHandler, Express } from 'express';

/**
 * Redis when REDIS_URL is set (a fleet), otherwise a folder (CACHE_DIR, default
 * ~/.cache/msal-persist-example-<program>), encrypted where the machine allows; ALLOW_PLAINTEXT=1
 * accepts owner-only plaintext files where it does not. Processes given the same REDIS_URL or
 * CACHE_DIR share one store.
 */
export async function openStore(program: string): Promise<PartitionedStore> {
  // Each backend is loaded only when chosen: a folder store never loads the Redis client.
  const url = process.env.REDIS_URL;
  if (url) {
    const { createRedisPartitionedStore } = await import('@msal-persist/persistence-redis');
    return createRedisPartitionedStore({ url });
  }
  const dir =
    process.env.CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), `msal-persist-example-${program}`);
  const { createFolderStore } = await import('@msal-persist/msal-plugin');
  return createFolderStore({ dir, allowPlaintextFallback: process.env.ALLOW_PLAINTEXT === '1' });
}

/**
 * With WORKERS=<n> (n > 1), this process becomes the primary of n worker processes sharing PORT
 * and returns true: it serves nothing itself. Otherwise false.
 */
export function startedWorkers(program: string): boolean {
  const workers = Number(process.env.WORKERS ?? 1);
  if (!cluster.isPrimary || !(workers > 1)) return false;
  for (let i = 0; i < workers; i++) cluster.fork();
  console.log(JSON.stringify({ program, primary: process.pid, workers }));
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return true;
}

/** Errors of a handler as one JSON line for the client; msal's and our errors carry no token. */
const jsonErrors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const message = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : 'error';
  res.status(500).json({ error: message });
};

/**
 * Serves `app` on PORT (default 3000), prints one JSON line once listening, and closes the
 * server and the store on SIGTERM or SIGINT.
 */
export async function listen(app: Express, program: string, store: PartitionedStore): Promise<void> {
  app.use(jsonErrors);
  const port = Number(process.env.PORT ?? 3000);
  const server = createServer(app);
  const failed = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(port, () => resolve(undefined));
  });
  if (failed) {
    console.error(
      `${program}: cannot listen on port ${port} (${failed.code ?? failed.message}): choose another with PORT=<n>.`,
    );
    process.exitCode = 1;
    await store.close();
    return;
  }
  console.log(
    JSON.stringify({
      program,
      listening: `http://localhost:${port}`,
      pid: process.pid,
      store: store.name,
      encrypted: store.isEncrypted,
    }),
  );
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void store.close();
    // A cluster worker's channel to its primary would keep it alive.
    if (cluster.isWorker) process.disconnect();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
