import type { ConnectionOptions } from 'node:tls';
import { checkNumberOption, delay, PersistenceError } from '@msal-persist/core';
import type { RedisOptions } from 'ioredis';
import { InvalidationFeed } from './invalidation-feed.js';
import type { LuaScript, ScriptArg } from './lua-script.js';
import {
  type ConnectionProblem,
  failoverOutlasted,
  isCommandTimeout,
  isSwitchingOver,
  mapRedisError,
} from './map-redis-error.js';
import {
  buildClient,
  clientCommandTimeout,
  clientConnectTimeout,
  describeClient,
  MAX_TIMER_MS,
  type RedisClient,
  type RedisClusterOptions,
  type RedisSentinelOptions,
} from './redis-client.js';
import { VersionWatch } from './version-watch.js';

/**
 * How to reach Redis: your own ioredis `client` (a `Redis` or a `Cluster`, never quit by us), or
 * one of `url` (one server), `sentinel` (a primary found through Sentinel) or `cluster` (Redis
 * Cluster seed nodes), and a client is created with fast-fail settings and quit by `close()`.
 *
 * @example
 * ```ts
 * const options: RedisConnectionOptions = { url: 'rediss://cache.internal:6380', tls: { ca: caPem }, commandTimeoutMs: 1000 };
 * ```
 */
export interface RedisConnectionOptions {
  /** An ioredis `Redis` or `Cluster` you own. Give it {@link fastFailRedisOptions} so token calls never hang. */
  client?: RedisClient;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A primary behind Redis Sentinel. */
  sentinel?: RedisSentinelOptions;
  /** A Redis Cluster. */
  cluster?: RedisClusterOptions;
  /** TLS for the Redis nodes: `ca`, `cert`/`key` (client certificate), `servername`. Implied empty by `rediss://`. */
  tls?: ConnectionOptions;
  /** Extra ioredis options for the client we create (password, db…; every node's, for a Cluster); the fast-fail settings win. */
  redisOptions?: Omit<RedisOptions, 'replyMapping'>;
  /** How long connecting may take before failing with `Timeout`/`NotAvailable` (Sentinel, Cluster: one attempt of those `failoverTimeoutMs` allows). Default 3000. */
  connectTimeoutMs?: number;
  /** How long one command may take before failing with `Timeout` (Sentinel, Cluster, a client we create: it reconnects and is sent again within `failoverTimeoutMs`). Default 2000. */
  commandTimeoutMs?: number;
  /**
   * How long a call — and connecting, when a process starts during a failover — waits for a new
   * primary (Sentinel failover, Cluster failover or resharding) before failing with `NotAvailable`;
   * a lock acquisition waits up to its own timeout instead. Default 15 000 for Sentinel and
   * Cluster, 0 (fail at once) for one server.
   */
  failoverTimeoutMs?: number;
  /** Ends the wait while connecting (e.g. for a new primary during a failover) with `Aborted`. Not used once connected. */
  signal?: AbortSignal;
}

/** The validated timeouts of `options`. */
function timeoutsOf(options: { connectTimeoutMs?: number | undefined; commandTimeoutMs?: number | undefined }) {
  return {
    connectTimeoutMs: checkNumberOption('connectTimeoutMs', options.connectTimeoutMs, 3000, {
      min: 1,
      max: MAX_TIMER_MS,
    }),
    commandTimeoutMs: checkNumberOption('commandTimeoutMs', options.commandTimeoutMs, 2000, {
      min: 1,
      max: MAX_TIMER_MS,
    }),
  };
}

/**
 * Checks `options` without connecting: numbers, and that at most one of `client`, `url`,
 * `sentinel` and `cluster` is given. Throws a `TypeError`/`RangeError` naming the option.
 *
 * @example
 * ```ts
 * checkConnectionOptions({ url, commandTimeoutMs: 1000 });
 * ```
 */
export function checkConnectionOptions(options: RedisConnectionOptions): void {
  timeoutsOf(options);
  checkNumberOption('failoverTimeoutMs', options.failoverTimeoutMs, 0, { min: 0, max: MAX_TIMER_MS });
  const given = (['client', 'url', 'sentinel', 'cluster'] as const).filter((name) => options[name] !== undefined);
  if (given.length > 1)
    throw new TypeError(`Pass one of client, url, sentinel and cluster, not ${given.join(' and ')}.`);
}

/**
 * One ioredis client (one server, a Sentinel-managed primary, or a Cluster) plus the error mapping,
 * timeouts, failover waits and change notifications every command of this package goes through.
 * Share one between several caches (partitions) of a process.
 *
 * @example
 * ```ts
 * const connection = await RedisConnection.open({ url: 'redis://127.0.0.1:6379' });
 * const persistence = new RedisPersistence(connection, { partition: 'tenant-a' });
 * await connection.close();
 * ```
 */
export class RedisConnection {
  /** The ioredis client. */
  readonly client: RedisClient;
  /** `redis://host:port`, `redis-sentinel://name@…`, `redis-cluster://…`, for messages. */
  readonly where: string;
  /** Command timeout in milliseconds. */
  readonly commandTimeoutMs: number;
  /** How long a call waits for a new primary; 0 when it fails at once. */
  readonly failoverTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly owned: boolean;
  private feed: InvalidationFeed | undefined;
  private closed = false;
  private lastProblem: ConnectionProblem | undefined;

  /** Wraps `client`; `owned` clients are quit by {@link RedisConnection.close}. Prefer {@link RedisConnection.open}. */
  constructor(
    client: RedisClient,
    options: {
      owned?: boolean;
      connectTimeoutMs?: number;
      commandTimeoutMs?: number;
      failoverTimeoutMs?: number;
      where?: string;
    } = {},
  ) {
    this.client = client;
    this.owned = options.owned ?? false;
    const { where, switchesPrimary } = describeClient(client);
    this.where = options.where ?? where;
    const timeouts = timeoutsOf({
      connectTimeoutMs: options.connectTimeoutMs ?? clientConnectTimeout(client),
      commandTimeoutMs: options.commandTimeoutMs ?? clientCommandTimeout(client),
    });
    this.connectTimeoutMs = timeouts.connectTimeoutMs;
    this.commandTimeoutMs = timeouts.commandTimeoutMs;
    this.failoverTimeoutMs = checkNumberOption(
      'failoverTimeoutMs',
      options.failoverTimeoutMs,
      switchesPrimary ? 15_000 : 0,
      { min: 0, max: MAX_TIMER_MS },
    );
    // Only on our own client: on a caller's client a listener would hide errors they expect to see.
    if (this.owned) {
      client.on('error', (error: unknown) => {
        const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
        this.lastProblem = {
          code: typeof code === 'string' ? code : undefined,
          message: typeof message === 'string' ? message : undefined,
        };
      });
      client.on('ready', () => {
        this.lastProblem = undefined;
      });
    }
  }

  /**
   * Uses `options.client`, or creates a fast-fail client and connects it, failing with
   * `NotAvailable` or `Timeout` when Redis cannot be reached within `connectTimeoutMs`. With
   * Sentinel or Cluster, a primary that is down, hung or being replaced is waited for up to
   * `failoverTimeoutMs` (then `NotAvailable` naming it); `options.signal` ends that wait (`Aborted`).
   */
  static async open(options: RedisConnectionOptions = {}): Promise<RedisConnection> {
    checkConnectionOptions(options);
    const timeouts = timeoutsOf(options);
    const failover = options.failoverTimeoutMs === undefined ? {} : { failoverTimeoutMs: options.failoverTimeoutMs };
    const { signal } = options;
    if (options.client) {
      return new RedisConnection(options.client, {
        ...failover,
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: timeouts.connectTimeoutMs }),
        ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: timeouts.commandTimeoutMs }),
      });
    }
    // lazyConnect: nothing connects before retrying() has checked the signal.
    const client = buildClient({ ...options, ...timeouts });
    const connection = new RedisConnection(client, { ...timeouts, ...failover, owned: true });
    const backend = `redis:${connection.where}`;
    try {
      // A process that starts during a failover meets the old primary (the sentinels still name it,
      // the Cluster still maps its slots to it): it waits for the new one like a running call does.
      await connection.retrying(backend, () => connection.ready(backend, signal), undefined, signal);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return connection;
  }

  /**
   * Runs `command` once the client is ready, mapping every failure to a `PersistenceError`. While
   * the primary is switching over (no connection, `READONLY`, `LOADING`, `CLUSTERDOWN`…), it tries
   * again until `until` (a `Date.now()` deadline; default `failoverTimeoutMs` from now) — only on a
   * connection with a failover timeout, so one plain server still fails at once. Every command of
   * this package is safe to repeat: scripts compare tokens, and a repeated save writes the same bytes.
   * `signal` ends that wait (and a wait to connect) with `Aborted`; a command already sent is
   * waited for first, within `commandTimeoutMs`, so its outcome is known (a lock it took is released).
   */
  run<T>(
    backend: string,
    command: (client: RedisClient) => Promise<T>,
    until?: number,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.retrying(
      backend,
      async () => {
        if (this.client.status !== 'ready') await this.ready(backend, signal);
        // Our clients time out commands themselves; a caller's may not, and a token call must never hang.
        return clientCommandTimeout(this.client) ? await command(this.client) : await this.guard(command(this.client));
      },
      until,
      signal,
    );
  }

  /**
   * Runs `attempt` until it succeeds, fails with something else than a switch-over, or `until`
   * (default `failoverTimeoutMs` from now) is reached: then the error says what bounded the wait.
   */
  private async retrying<T>(
    backend: string,
    attempt: () => Promise<T>,
    until: number | undefined,
    signal?: AbortSignal,
  ): Promise<T> {
    const started = Date.now();
    const deadline = until ?? started + this.failoverTimeoutMs;
    for (let tries = 0; ; tries++) {
      if (signal?.aborted) throw this.aborted(backend, signal.reason);
      // Closed: no primary is coming back for our client (quit), and a caller's client, left open
      // for the caller's own use, must not carry a closed cache's calls (they would still succeed).
      if (this.closed) {
        throw new PersistenceError(
          'NotAvailable',
          `The connection to Redis at ${this.where} was closed (close()); create a new one.`,
          { backend },
        );
      }
      try {
        return await attempt();
      } catch (error) {
        const mapped = this.map(error, backend);
        const pause = Math.min(50 * 2 ** tries, 500);
        // A hung primary (a frozen VM) keeps our socket open and answers nothing: the sentinels or
        // the Cluster replace it, but this client would wait on that socket until it comes back.
        // Drop it, so the reconnect asks for the primary again, and wait as for any failover.
        const hung = this.failoverTimeoutMs > 0 && this.owned && isCommandTimeout(mapped);
        if (hung && this.client.status === 'ready') this.client.disconnect(true);
        if (this.failoverTimeoutMs === 0 || !(hung || isSwitchingOver(mapped))) throw mapped;
        if (Date.now() >= deadline) {
          // No wait was allowed (a lease renewal): the plain error. Otherwise say what ran out.
          if (deadline <= started) throw mapped;
          const limit =
            until === undefined
              ? `failoverTimeoutMs (${this.failoverTimeoutMs} ms)`
              : `the ${deadline - started} ms this call may wait`;
          throw failoverOutlasted(mapped, this.where, limit, this.lastProblem);
        }
        // The last try lands on the deadline: a wait reported as failoverTimeoutMs long is that long.
        await delay(Math.min(pause, deadline - Date.now()), signal, (reason) => this.aborted(backend, reason));
      }
    }
  }

  /** Runs a Lua script through {@link RedisConnection.run}. */
  script(
    backend: string,
    script: LuaScript,
    keys: readonly string[],
    args: readonly ScriptArg[],
    until?: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    return this.run(backend, (client) => script.run(client, keys, args), until, signal);
  }

  /** The version watch of a cache's `channel`, subscribing on first use. */
  watch(channel: string): VersionWatch {
    // Closed: a watch that is never subscribed, so every stamp asks (and fails like every command).
    if (this.closed) return new VersionWatch();
    this.feed ??= new InvalidationFeed(this.client);
    return this.feed.watch(channel);
  }

  /** The version watch of `channel` if a persistence watches it already. */
  existingWatch(channel: string): VersionWatch | undefined {
    return this.feed?.existing(channel);
  }

  /**
   * Stops the change notifications, and quits the client if this connection created it (a
   * caller's client is left open). Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.feed?.close();
    if (!this.owned || this.client.status === 'end') return;
    try {
      await this.guard(this.client.quit());
    } catch {
      // quit needs a live server; a dead one still has to release the socket and timers.
      this.client.disconnect();
    }
  }

  private async ready(backend: string, signal?: AbortSignal): Promise<void> {
    const { client } = this;
    if (client.status === 'ready') return;
    // ioredis ends a client for good when a connect attempt fails at the wrong moment (a Sentinel
    // lookup interrupted by a failover); ours must come back, not fail every call from then on.
    const revive = client.status === 'end' && this.owned && !this.closed;
    if (!revive && client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect') {
      // Reconnecting or closed: fail now rather than wait for a server that is down.
      throw new Error(`Connection is closed (client status ${client.status})`);
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('connect timed out')), this.connectTimeoutMs);
      const onReady = () => done();
      const onEnd = () => done(new Error('Connection is closed'));
      // A Cluster whose ready check finds cluster_state:fail drops the attempt and reconnects
      // without an error event: the attempt failed, do not sit out connectTimeoutMs for it.
      const onReconnecting = () => done(new Error('Connection is closed (client reconnecting)'));
      const onAbort = () => done(this.aborted(backend, signal?.reason));
      // The first failure decides (refused, a certificate rejected): retrying it in the background
      // is the client's job, a token call must not wait for it.
      const onError = (error: unknown) => done(error instanceof Error ? error : new Error(String(error)));
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        client.off('reconnecting', onReconnecting);
        client.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      client.once('ready', onReady);
      client.once('end', onEnd);
      client.once('reconnecting', onReconnecting);
      client.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (client.status === 'wait' || revive) client.connect().catch(onError);
    });
  }

  private aborted(backend: string, reason: unknown): PersistenceError {
    return new PersistenceError('Aborted', `Stopped waiting for Redis at ${this.where}: the operation was aborted.`, {
      backend,
      cause: reason,
    });
  }

  private guard<T>(pending: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), this.commandTimeoutMs);
    });
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }

  private map(error: unknown, backend: string): PersistenceError {
    const timeoutMs = /connect/i.test(error instanceof Error ? error.message : '')
      ? this.connectTimeoutMs
      : this.commandTimeoutMs;
    return mapRedisError(error, backend, this.where, timeoutMs, this.lastProblem);
  }
}
