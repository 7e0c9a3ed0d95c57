import type { ConnectionOptions } from 'node:tls';
import { checkNumberOption } from '@msal-persist/core';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/**
 * What this package talks to: one server (or a Sentinel-managed primary), or a Redis Cluster.
 *
 * @example
 * ```ts
 * const client: RedisClient = new Cluster([{ host: '10.0.0.1', port: 6379 }], fastFailClusterOptions());
 * ```
 */
export type RedisClient = Redis | Cluster;

/**
 * Longest delay a Node timer can take; longer ones fire at once. The upper bound of every timeout option.
 *
 * @example
 * ```ts
 * checkNumberOption('commandTimeoutMs', value, 2000, { min: 1, max: MAX_TIMER_MS });
 * ```
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A primary found through Redis Sentinel: where the sentinels are and the name they monitor it
 * under. The client asks them for the current primary at every (re)connect and follows a failover.
 *
 * @example
 * ```ts
 * const sentinel: RedisSentinelOptions = { name: 'mymaster', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }] };
 * ```
 */
export interface RedisSentinelOptions {
  /** The sentinels; any one that answers is enough. */
  sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** The primary's name in the sentinels' configuration (`sentinel monitor <name> …`). */
  name: string;
  /** ACL user for the sentinels, when they require one. */
  sentinelUsername?: string;
  /** Password for the sentinels, when they require one (the data nodes use `redisOptions.password`). */
  sentinelPassword?: string;
  /** TLS towards the sentinels (the data nodes use `tls`). Default: plain TCP. */
  sentinelTls?: ConnectionOptions;
}

/**
 * A Redis Cluster: seed nodes (any reachable subset; the client discovers the rest) and ioredis
 * Cluster settings. The fast-fail settings win over these.
 *
 * @example
 * ```ts
 * const cluster: RedisClusterOptions = { nodes: ['redis://10.0.0.1:6379', { host: '10.0.0.2', port: 6379 }] };
 * ```
 */
export interface RedisClusterOptions {
  /** Seed nodes: `host:port`, a `redis://` URL, or `{ host, port }`. */
  nodes: readonly ClusterNode[];
  /** More ioredis Cluster options (`natMap`, `dnsLookup`, `scaleReads` is ignored: we read from primaries). */
  options?: Omit<ClusterOptions, 'redisOptions' | 'lazyConnect' | 'enableOfflineQueue' | 'scaleReads'>;
}

/**
 * The connection options {@link buildClient} reads.
 *
 * @example
 * ```ts
 * const settings: ClientSettings = { url: 'redis://127.0.0.1:6379', connectTimeoutMs: 3000, commandTimeoutMs: 2000 };
 * ```
 */
export interface ClientSettings {
  url?: string | undefined;
  cluster?: RedisClusterOptions | undefined;
  sentinel?: RedisSentinelOptions | undefined;
  tls?: ConnectionOptions | undefined;
  redisOptions?: Omit<RedisOptions, 'replyMapping'> | undefined;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/**
 * ioredis settings that make every command fail fast instead of queueing while Redis is down:
 * no offline queue, no resend after a dropped connection, a connect and a command timeout, and
 * reconnects every ≤ 1 s in the background so the cache works again as soon as Redis is back.
 *
 * @example
 * ```ts
 * const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', fastFailRedisOptions({ commandTimeoutMs: 1000 }));
 * ```
 */
export function fastFailRedisOptions(
  options: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
): Omit<RedisOptions, 'replyMapping'> {
  const limits = { min: 1, max: MAX_TIMER_MS };
  return {
    connectTimeout: checkNumberOption('connectTimeoutMs', options.connectTimeoutMs, 3000, limits),
    commandTimeout: checkNumberOption('commandTimeoutMs', options.commandTimeoutMs, 2000, limits),
    enableOfflineQueue: false,
    // 0, not 1: ioredis would resend blindly; RedisConnection retries itself, only where that is safe.
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(times * 50, 1000),
  };
}

/**
 * The same fast-fail settings for an ioredis `Cluster` you build yourself.
 *
 * @example
 * ```ts
 * const client = new Cluster([{ host: '10.0.0.1', port: 6379 }], fastFailClusterOptions({ commandTimeoutMs: 1000 }));
 * ```
 */
export function fastFailClusterOptions(
  options: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
): Omit<ClusterOptions, 'redisOptions'> & { redisOptions: ClusterNodeOptions } {
  return {
    enableOfflineQueue: false,
    clusterRetryStrategy: (times: number) => Math.min(100 + times * 50, 1000),
    redisOptions: fastFailNodeOptions(options),
  };
}

// Legacy reply mapping only: the scripts' array replies are read as arrays.
type ClusterNodeOptions = Omit<NonNullable<ClusterOptions['redisOptions']>, 'replyMapping'>;

/** The per-node part of the fast-fail settings (a Cluster queues and reconnects itself). */
function fastFailNodeOptions(options: { connectTimeoutMs?: number; commandTimeoutMs?: number }): ClusterNodeOptions {
  const { enableOfflineQueue: _queue, retryStrategy: _retry, ...node } = fastFailRedisOptions(options);
  return node;
}

/** `redisOptions` without what a Cluster sets per node itself. */
function nodeOptionsOf(options: Omit<RedisOptions, 'replyMapping'> | undefined): ClusterNodeOptions {
  const {
    port: _port,
    host: _host,
    path: _path,
    sentinels: _sentinels,
    retryStrategy: _retry,
    enableOfflineQueue: _queue,
    readOnly: _readOnly,
    himportFieldsets: _fieldsets,
    ...node
  } = options ?? {};
  return node;
}

/** The TLS options of `settings`, merged over any in `redisOptions`. */
function tlsOf(settings: ClientSettings): { tls?: ConnectionOptions } {
  const tls = settings.tls ?? settings.redisOptions?.tls;
  return tls ? { tls } : {};
}

/**
 * Builds the (not yet connected) client `settings` describe, with the fast-fail settings.
 *
 * @example
 * ```ts
 * const client = buildClient({ sentinel: { name: 'mymaster', sentinels }, connectTimeoutMs: 3000, commandTimeoutMs: 2000 });
 * ```
 */
export function buildClient(settings: ClientSettings): RedisClient {
  const fastFail = fastFailRedisOptions(settings);
  const { cluster, sentinel } = settings;
  if (cluster) {
    return new Cluster([...cluster.nodes], {
      ...cluster.options,
      ...fastFailClusterOptions(settings),
      lazyConnect: true,
      redisOptions: { ...nodeOptionsOf(settings.redisOptions), ...tlsOf(settings), ...fastFailNodeOptions(settings) },
    });
  }
  if (sentinel) {
    return new Redis({
      ...settings.redisOptions,
      ...tlsOf(settings),
      sentinels: sentinel.sentinels.map(({ host, port }) => ({ host, port })),
      name: sentinel.name,
      ...(sentinel.sentinelUsername === undefined ? {} : { sentinelUsername: sentinel.sentinelUsername }),
      ...(sentinel.sentinelPassword === undefined ? {} : { sentinelPassword: sentinel.sentinelPassword }),
      // ioredis speaks TLS to a primary found through Sentinel only with enableTLSForSentinelMode.
      ...(tlsOf(settings).tls ? { enableTLSForSentinelMode: true } : {}),
      ...(sentinel.sentinelTls ? { sentinelTLS: sentinel.sentinelTls } : {}),
      // No failoverDetector: its +switch-master handler can disconnect a client in the middle of a
      // reconnect, and ioredis then ends it for good (seen in sentinel.test.ts under load). A killed
      // primary drops our socket anyway; a demoted one drops its clients or answers READONLY, and
      // then we reconnect and the sentinels name the new primary.
      reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 1 : false),
      ...fastFail,
      lazyConnect: true,
    });
  }
  const options = { ...settings.redisOptions, ...tlsOf(settings), ...fastFail, lazyConnect: true };
  return settings.url ? new Redis(settings.url, options) : new Redis(options);
}

/**
 * Whether `client` is an ioredis `Cluster`.
 *
 * @example
 * ```ts
 * const nodes = isCluster(client) ? client.nodes('master') : [client];
 * ```
 */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * What a client talks to, for messages, and whether its primary can change under it (Sentinel, Cluster).
 *
 * @example
 * ```ts
 * describeClient(new Redis(6380)); // { where: 'redis://127.0.0.1:6380', switchesPrimary: false }
 * ```
 */
export function describeClient(client: RedisClient): { where: string; switchesPrimary: boolean } {
  if (isCluster(client)) {
    const nodes = (client as unknown as { startupNodes?: ClusterNode[] }).startupNodes ?? [];
    const shown = nodes.map((node) =>
      typeof node === 'object' ? `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}` : String(node),
    );
    return { where: `redis-cluster://${shown.join(',')}`, switchesPrimary: true };
  }
  const { host, port, path, sentinels, name, tls } = client.options;
  if (sentinels && sentinels.length > 0) {
    const shown = sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(',');
    return { where: `redis-sentinel://${name ?? 'mymaster'}@${shown}`, switchesPrimary: true };
  }
  const scheme = tls ? 'rediss' : 'redis';
  return {
    where: path ? `redis+unix://${path}` : `${scheme}://${host ?? '127.0.0.1'}:${port ?? 6379}`,
    switchesPrimary: false,
  };
}

/**
 * The command timeout the connection of `options` will use: theirs, their client's, or the default.
 *
 * @example
 * ```ts
 * expectedCommandTimeout({ client: new Redis({ commandTimeout: 5000 }) }); // 5000
 * ```
 */
export function expectedCommandTimeout(options: {
  client?: RedisClient | undefined;
  commandTimeoutMs?: number | undefined;
}): number {
  return options.commandTimeoutMs ?? (options.client ? clientCommandTimeout(options.client) : undefined) ?? 2000;
}

/**
 * The command timeout `client` applies itself, if any.
 *
 * @example
 * ```ts
 * const guarded = clientCommandTimeout(client) === undefined;
 * ```
 */
export function clientCommandTimeout(client: RedisClient): number | undefined {
  return isCluster(client) ? client.options.redisOptions?.commandTimeout : client.options.commandTimeout;
}

/**
 * The connect timeout `client` applies itself, if any.
 *
 * @example
 * ```ts
 * const connectTimeoutMs = clientConnectTimeout(client) ?? 3000;
 * ```
 */
export function clientConnectTimeout(client: RedisClient): number | undefined {
  return isCluster(client) ? client.options.redisOptions?.connectTimeout : client.options.connectTimeout;
}
