// Processes that start while Redis fails over (replicas restart when machines fail, which is when
// Redis fails over): creating the cache waits for the new primary like a running call does, up to
// failoverTimeoutMs, on a real Sentinel set-up and a real Cluster with replicas — with the primary
// killed, black-holed (its machine gone) or hung (SIGSTOP), where running calls must wait too; a
// failover that never completes, or sentinels that name no primary, end in a typed error; an
// AbortSignal ends the wait; a closed cache fails at once; one plain server still fails at once.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPersistenceError } from '@msal-persist/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache, type RedisConnectionOptions, RedisPersistence, redisKeys } from '../src/index.js';
import { type BlackHole, startBlackHole } from './servers/black-hole.js';
import { freePort, waitFor } from './servers/processes.js';
import { type RedisClusterServers, startRedisCluster } from './servers/redis-cluster.js';
import { type SentinelTopology, startSentinelTopology } from './servers/redis-sentinel.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { runFixture } from './support/children.js';
import { daemonApp, storedSecrets } from './support/daemon-app.js';
import { failure, persistenceErrorIn } from './support/helpers.js';

interface GatedResult {
  created: boolean;
  creation?: string;
  tokens: string[];
  failures: string[];
}

/**
 * Starts `count` gated-writer processes and resolves once every one has loaded its code; `go()`
 * lets them all create their cache at that moment.
 */
async function gatedWriters(count: number, env: { CONNECTION: string; PARTITION: string; WRITES: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'msal-gate-'));
  const goFile = join(dir, 'go');
  let died: unknown;
  const running = Array.from({ length: count }, (_, i) => {
    const result = runFixture<GatedResult>('gated-writer', {
      ...env,
      TAG: `started-${i}`,
      READY_FILE: join(dir, `ready-${i}`),
      GO_FILE: goFile,
    });
    result.catch((error: unknown) => {
      died ??= error;
    });
    return result;
  });
  await waitFor(
    'every process loaded',
    () => {
      if (died) throw died;
      return running.every((_, i) => existsSync(join(dir, `ready-${i}`)));
    },
    60_000,
  );
  return {
    go: () => writeFileSync(goFile, ''),
    results: () => Promise.all(running).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

/** The access tokens stored in `partition`'s cache. */
async function storedIn(connection: RedisConnectionOptions, partition: string): Promise<Set<string>> {
  const reader = await RedisPersistence.create({ ...connection, partition });
  try {
    return storedSecrets(await reader.load());
  } finally {
    await reader.close();
  }
}

/** Every process created its cache, no call failed, and every acknowledged token is stored. */
async function expectAllStored(results: GatedResult[], connection: RedisConnectionOptions, partition: string) {
  expect(results.map((r) => r.creation ?? 'created')).toEqual(results.map(() => 'created'));
  expect(results.flatMap((r) => r.failures)).toEqual([]);
  const tokens = results.flatMap((r) => r.tokens);
  expect(tokens).toHaveLength(results.length * 2);
  const stored = await storedIn(connection, partition);
  expect(tokens.filter((token) => !stored.has(token))).toEqual([]);
}

const through = (topology: SentinelTopology): RedisConnectionOptions => ({
  sentinel: { name: topology.name, sentinels: topology.sentinels },
});

describe('a process started while the Sentinel primary is down', () => {
  let topology: SentinelTopology;
  beforeAll(async () => {
    topology = await startSentinelTopology();
  }, 60_000);
  afterAll(async () => {
    await topology?.stop();
  });

  it('a call on a closed cache fails with NotAvailable saying so, without waiting for a primary', async () => {
    const cache = await createRedisCache({ ...through(topology), failoverTimeoutMs: 600_000 });
    await cache.close();
    const error = await failure(cache.persistence.load());
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    expect((error as Error).message).toMatch(/was closed \(close\(\)\); create a new one/);
  });

  it('creates its cache once the sentinels name the new primary: 3 processes released right after the SIGKILL, every token stored', async () => {
    const partition = randomUUID();
    const connection = through(topology);
    const writers = await gatedWriters(3, {
      CONNECTION: JSON.stringify(connection),
      PARTITION: partition,
      WRITES: '2',
    });
    await topology.primary.kill();
    writers.go();
    // down-after-milliseconds is 500: the processes were released while the sentinels still named
    // the dead primary, so each one's first connection was refused.
    expect(await topology.primaryPort()).toBe(topology.primary.port);
    const results = await writers.results();
    await expectAllStored(results, connection, partition);
    expect(await topology.primaryPort()).toBe(topology.replica.port);
  }, 90_000);
});

/** Ways a primary stops serving without refusing connections; each returns how to clean up. */
const silentFailures: [string, (topology: SentinelTopology) => Promise<() => Promise<void>>][] = [
  [
    'whose machine is gone (connections to it time out, none is refused)',
    async (topology) => {
      await topology.primary.kill();
      const hole: BlackHole = await startBlackHole(topology.primary.port);
      return () => hole.stop();
    },
  ],
  [
    'that hangs (SIGSTOP, like a frozen VM: connections accepted, nothing answered)',
    async (topology) => {
      topology.primary.pause();
      return async () => topology.primary.resume();
    },
  ],
];

describe.each(silentFailures)('a Sentinel primary %s', (_, fail) => {
  let topology: SentinelTopology;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    topology = await startSentinelTopology();
  }, 60_000);
  afterAll(async () => {
    await cleanup?.();
    await topology?.stop();
  });

  it('a process started then and a call already running both wait for the new primary, every token stored', async () => {
    const partition = randomUUID();
    const connection = through(topology);
    const running = await createRedisCache({ ...connection, partition });
    try {
      const app = daemonApp(running);
      await app.token('api://before/.default');
      const writers = await gatedWriters(2, {
        CONNECTION: JSON.stringify(connection),
        PARTITION: partition,
        WRITES: '2',
      });
      cleanup = await fail(topology);
      writers.go();
      const [during, results] = await Promise.all([failure(app.token('api://during/.default')), writers.results()]);
      await expectAllStored(results, connection, partition);
      expect(during === undefined ? 'succeeded' : (persistenceErrorIn(during)?.message ?? String(during))).toBe(
        'succeeded',
      );
      expect(await topology.primaryPort()).toBe(topology.replica.port);
    } finally {
      await running.close();
    }
  }, 90_000);
});

describe('a Sentinel failover that never completes (primary and its only replica down)', () => {
  let topology: SentinelTopology;
  beforeAll(async () => {
    topology = await startSentinelTopology();
    await topology.primary.kill();
    await topology.replica.kill();
  }, 60_000);
  afterAll(async () => {
    await topology?.stop();
  });

  it('creation fails with NotAvailable after failoverTimeoutMs, naming it and what to check', async () => {
    const error = await failure(createRedisCache({ ...through(topology), failoverTimeoutMs: 1000 }));
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    const { message } = error as Error;
    expect(message).toContain('redis-sentinel://mymaster@');
    expect(message).toMatch(/no primary within failoverTimeoutMs \(1000 ms\)/);
    expect(message).toMatch(/SENTINEL GET-MASTER-ADDR-BY-NAME mymaster/);
    expect(message).toMatch(/raise failoverTimeoutMs/);
  });

  it('a name the sentinels do not monitor: NotAvailable naming it, not Io', async () => {
    const sentinel = { name: 'not-monitored', sentinels: topology.sentinels };
    const error = await failure(createRedisCache({ sentinel, failoverTimeoutMs: 300 }));
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    expect((error as Error).message).toMatch(/no sentinel named a primary for not-monitored/);
    expect((error as Error).message).toMatch(/monitor not-monitored/);
  });

  it('an AbortSignal ends the wait with Aborted; one aborted before the call fails Aborted too', async () => {
    const controller = new AbortController();
    const creating = failure(
      createRedisCache({ ...through(topology), failoverTimeoutMs: 60_000, signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error('shutting down')), 300);
    const waited = await creating;
    expect(isPersistenceError(waited, 'Aborted')).toBe(true);
    expect((waited as Error).message).toMatch(/aborted/i);

    const before = await failure(createRedisCache({ ...through(topology), signal: AbortSignal.abort() }));
    expect(isPersistenceError(before, 'Aborted')).toBe(true);
  });
});

describe('sentinels that do not answer', () => {
  it('creation fails with NotAvailable naming the sentinels and the name, not Io', async () => {
    const sentinels = [{ host: '127.0.0.1', port: await freePort() }];
    const error = await failure(
      createRedisCache({ sentinel: { name: 'mymaster', sentinels }, failoverTimeoutMs: 300 }),
    );
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    expect((error as Error).message).toMatch(/no sentinel named a primary for mymaster/);
    expect((error as Error).message).toMatch(/SENTINEL GET-MASTER-ADDR-BY-NAME mymaster/);
  });
});

describe('a process started while a Cluster primary is down', () => {
  let cluster: RedisClusterServers;
  let partition: string;
  let owner: number;
  const admins: Redis[] = [];
  const connection = () => ({ cluster: { nodes: cluster.nodes } });
  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1);
    for (const server of cluster.servers) {
      const admin = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 }).on('error', () => undefined);
      admins.push(admin);
      // The test, not the cluster, decides when a replica takes over: after the processes started.
      await admin.config('SET', 'cluster-replica-no-failover', 'yes');
    }
    // ownerOf asks servers[0]: the primary killed must be another one.
    do {
      partition = randomUUID();
      owner = await cluster.ownerOf(redisKeys('msal-persist', partition).cache);
    } while (owner === 0);
    await (cluster.servers[owner] as RedisServer).kill();
    await waitFor(
      'the cluster to see the primary fail',
      async () => (await (admins[0] as Redis).cluster('INFO')).includes('cluster_state:fail'),
      30_000,
    );
  }, 90_000);
  afterAll(async () => {
    for (const admin of admins) admin.disconnect();
    await cluster?.stop();
  });

  it('with no replica taking over, creation fails with NotAvailable after failoverTimeoutMs, naming it', async () => {
    const error = await failure(createRedisCache({ ...connection(), partition, failoverTimeoutMs: 1000 }));
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    const { message } = error as Error;
    expect(message).toContain('redis-cluster://');
    expect(message).toMatch(/no primary within failoverTimeoutMs \(1000 ms\)/);
    expect(message).toMatch(/CLUSTER INFO/);
  });

  it('creation waits for the replica to take over: 3 processes released while cluster_state is fail, every token stored', async () => {
    const ownerPort = (cluster.servers[owner] as RedisServer).port;
    const roles = await Promise.all(admins.map((admin) => admin.role().catch(() => [])));
    const replica = admins[roles.findIndex((role) => role[0] === 'slave' && Number(role[2]) === ownerPort)] as Redis;
    // Real failovers take cluster-node-timeout (15 s by default) plus an election, far beyond
    // connectTimeoutMs: here the takeover comes twice connectTimeoutMs after the processes start,
    // so creating the cache has to wait for the failover, not just for a slow connect.
    const connectTimeoutMs = 1000;
    const writers = await gatedWriters(3, {
      CONNECTION: JSON.stringify({ ...connection(), connectTimeoutMs }),
      PARTITION: partition,
      WRITES: '2',
    });
    writers.go();
    await new Promise((resolve) => setTimeout(resolve, 2 * connectTimeoutMs));
    await replica.cluster('FAILOVER', 'TAKEOVER');
    const results = await writers.results();
    await expectAllStored(results, connection(), partition);
  }, 90_000);
});

describe('a Cluster primary that hangs (SIGSTOP, like a frozen VM) and is failed over by its replica', () => {
  let cluster: RedisClusterServers;
  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a process started then and a call already running both reach the new primary, every token stored', async () => {
    const connection = { cluster: { nodes: cluster.nodes } };
    let partition: string;
    let owner: number;
    // ownerOf asks servers[0]: the primary paused must be another one.
    do {
      partition = randomUUID();
      owner = await cluster.ownerOf(redisKeys('msal-persist', partition).cache);
    } while (owner === 0);
    const running = await createRedisCache({ ...connection, partition });
    try {
      const app = daemonApp(running);
      await app.token('api://before/.default');
      const writers = await gatedWriters(2, {
        CONNECTION: JSON.stringify(connection),
        PARTITION: partition,
        WRITES: '2',
      });
      (cluster.servers[owner] as RedisServer).pause();
      writers.go();
      const [during, results] = await Promise.all([failure(app.token('api://during/.default')), writers.results()]);
      await expectAllStored(results, connection, partition);
      expect(during === undefined ? 'succeeded' : (persistenceErrorIn(during)?.message ?? String(during))).toBe(
        'succeeded',
      );
      expect(await cluster.ownerOf(redisKeys('msal-persist', partition).cache)).not.toBe(owner);
    } finally {
      (cluster.servers[owner] as RedisServer).resume();
      await running.close();
    }
  }, 90_000);
});

describe('one plain server (no Sentinel, no Cluster) that is down or paused', () => {
  let server: RedisServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('fails at once with NotAvailable: a creation that waited would have met the server started right after', async () => {
    const port = await freePort();
    const creating = failure(createRedisCache({ url: `redis://127.0.0.1:${port}` }));
    server = await startRedisServer({ port });
    const error = await creating;
    expect(isPersistenceError(error, 'NotAvailable')).toBe(true);
    expect((error as Error).message).toMatch(/is not reachable \(ECONNREFUSED\)/);
    expect((error as Error).message).not.toMatch(/failoverTimeoutMs/);
  });

  it('a paused one fails with Timeout naming connectTimeoutMs, the option that ran out', async () => {
    const paused = await startRedisServer();
    paused.pause();
    try {
      const error = await failure(createRedisCache({ url: paused.url, connectTimeoutMs: 300 }));
      expect(isPersistenceError(error, 'Timeout')).toBe(true);
      expect((error as Error).message).toMatch(/did not accept a connection within 300 ms.*raise connectTimeoutMs\.$/);
    } finally {
      paused.resume();
      await paused.stop();
    }
  });
});
