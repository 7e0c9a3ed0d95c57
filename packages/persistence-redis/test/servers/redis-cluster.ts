import { Redis } from 'ioredis';
import { redisCli, requireBinary, waitFor } from './processes.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** A real Redis Cluster of primaries on loopback ports, made by `redis-cli --cluster create`. */
export interface RedisClusterServers {
  readonly servers: readonly RedisServer[];
  /** Seed nodes for ioredis. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** The index in `servers` of the node that owns `key`'s slot. */
  ownerOf(key: string): Promise<number>;
  /**
   * Moves `key`'s slot to `servers[to]` the way `redis-cli --cluster reshard` does, while clients
   * keep writing: IMPORTING/MIGRATING, MIGRATE of its keys one by one (`pauseMs` apart, so clients
   * meet the half-migrated slot: ASK and TRYAGAIN), then the new owner announced.
   */
  migrateSlotOf(key: string, to: number, pauseMs?: number): Promise<void>;
  /** Error replies of kind `ASK`, `MOVED`, `TRYAGAIN`… sent so far by all nodes (`INFO errorstats`). */
  errorReplies(kinds: readonly string[]): Promise<number>;
  stop(): Promise<void>;
}

const admin = (server: RedisServer) => new Redis(server.port, '127.0.0.1').on('error', () => undefined);

/**
 * Starts `primaries` cluster-enabled servers, each with `replicasPerPrimary` replicas (redis-cli
 * picks the roles: ask a node's `ROLE`), and joins them. Fails (never skips) without
 * redis-server/redis-cli.
 */
export async function startRedisCluster(primaries = 3, replicasPerPrimary = 0): Promise<RedisClusterServers> {
  requireBinary('redis-cli');
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'];
  const count = primaries * (1 + replicasPerPrimary);
  const servers = await Promise.all(Array.from({ length: count }, () => startRedisServer({ args })));
  const clients = servers.map(admin);
  try {
    const create = ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-yes'];
    redisCli([...create, '--cluster-replicas', String(replicasPerPrimary)]);
    await waitFor(
      'cluster_state:ok on every node',
      async () => {
        const infos = await Promise.all(clients.map((client) => client.cluster('INFO')));
        return infos.every((info) => info.includes('cluster_state:ok'));
      },
      20_000,
    );
    // A replica that has not finished its first sync never fails over (its data counts as too old).
    await waitFor(
      'every replica in sync with its primary',
      async () => {
        const infos = await Promise.all(clients.map((client) => client.info('replication')));
        return infos.filter((info) => info.includes('master_link_status:up')).length === primaries * replicasPerPrimary;
      },
      20_000,
    );
  } catch (error) {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  const ids = await Promise.all(clients.map((client) => client.cluster('MYID')));

  const ownerOf = async (key: string) => {
    const slot = await (clients[0] as Redis).cluster('KEYSLOT', key);
    const ranges = (await (clients[0] as Redis).cluster('SLOTS')) as unknown as [
      number,
      number,
      [string, number, string],
    ][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    return ids.indexOf(range?.[2][2] ?? '');
  };

  const migrateSlotOf = async (key: string, to: number, pauseMs = 0) => {
    const from = await ownerOf(key);
    const slot = await (clients[0] as Redis).cluster('KEYSLOT', key);
    const source = clients[from] as Redis;
    const target = clients[to] as Redis;
    const targetServer = servers[to] as RedisServer;
    await target.cluster('SETSLOT', slot, 'IMPORTING', ids[from] as string);
    await source.cluster('SETSLOT', slot, 'MIGRATING', ids[to] as string);
    for (;;) {
      const keys = (await source.cluster('GETKEYSINSLOT', slot, 1)) as string[];
      if (keys.length === 0) break;
      await source.migrate('127.0.0.1', targetServer.port, '', 0, 5000, 'REPLACE', 'KEYS', ...keys);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    const others = clients.filter((client) => client !== target && client !== source);
    for (const client of [target, source, ...others]) await client.cluster('SETSLOT', slot, 'NODE', ids[to] as string);
  };

  const errorReplies = async (kinds: readonly string[]) => {
    let total = 0;
    for (const client of clients) {
      const stats = await client.info('errorstats');
      for (const kind of kinds)
        total += Number(new RegExp(`^errorstat_${kind}:count=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    }
    return total;
  };

  return {
    servers,
    errorReplies,
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    ownerOf,
    migrateSlotOf,
    stop: async () => {
      for (const client of clients) client.disconnect();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
