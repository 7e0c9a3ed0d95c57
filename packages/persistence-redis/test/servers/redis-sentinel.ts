import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnServer, stopChild, waitFor } from './processes.js';
import { ping, type RedisServer, startRedisServer } from './redis-server.js';

/** A primary, its replicas and three sentinels (quorum 2) on loopback ports. */
export interface SentinelTopology {
  /** The name the sentinels monitor the primary under. */
  readonly name: string;
  readonly primary: RedisServer;
  /** The first replica. */
  readonly replica: RedisServer;
  readonly replicas: readonly RedisServer[];
  /** Where the sentinels listen, for `sentinel.sentinels`. */
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** The port the sentinels currently name as primary. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/** Sentinel settings for tests: a primary is declared down after 500 ms without an answer. */
const DOWN_AFTER_MS = 500;

/**
 * Starts the topology and waits until replication is up. The sentinels are told about each other
 * and the replica in their configuration, so a failover is possible at once (discovery by hello
 * messages would take seconds). Fails (never skips) without redis-server.
 */
export async function startSentinelTopology(replicaCount = 1): Promise<SentinelTopology> {
  const name = 'mymaster';
  const primary = await startRedisServer();
  const replicas = await Promise.all(
    Array.from({ length: replicaCount }, () =>
      startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] }),
    ),
  );
  const replicaClients = replicas.map((r) => new Redis(r.port, '127.0.0.1').on('error', () => undefined));
  const dir = mkdtempSync(join(tmpdir(), 'msal-sentinel-'));
  const sentinels: { port: number; id: string; child?: ChildProcess }[] = [];
  try {
    for (const client of replicaClients) {
      await waitFor('the replica in sync', async () =>
        (await client.info('replication')).includes('master_link_status:up'),
      );
    }
    for (let i = 0; i < 3; i++) sentinels.push({ port: await freePort(), id: randomBytes(20).toString('hex') });
    for (const sentinel of sentinels) {
      const conf = join(dir, `sentinel-${sentinel.port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${sentinel.port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel myid ${sentinel.id}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${name} 5000`,
          ...replicas.map((replica) => `sentinel known-replica ${name} 127.0.0.1 ${replica.port}`),
          ...sentinels
            .filter((other) => other !== sentinel)
            .map((other) => `sentinel known-sentinel ${name} 127.0.0.1 ${other.port} ${other.id}`),
          '',
        ].join('\n'),
      );
      const { child, output } = spawnServer('redis-server', [conf, '--sentinel', '--loglevel', 'warning']);
      sentinel.child = child;
      await waitFor(`sentinel on port ${sentinel.port}`, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server --sentinel exited: ${output()}`);
        return ping(sentinel.port);
      });
    }
  } finally {
    for (const client of replicaClients) client.disconnect();
  }

  const primaryPort = async () => {
    const client = new Redis((sentinels[0] as { port: number }).port, '127.0.0.1').on('error', () => undefined);
    try {
      const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
      return Number(port);
    } finally {
      client.disconnect();
    }
  };

  return {
    name,
    primary,
    replica: replicas[0] as RedisServer,
    replicas,
    sentinels: sentinels.map(({ port }) => ({ host: '127.0.0.1', port })),
    primaryPort,
    stop: async () => {
      await Promise.all(sentinels.map(({ child }) => (child ? stopChild(child, 'SIGTERM') : undefined)));
      await Promise.all([primary, ...replicas].map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
