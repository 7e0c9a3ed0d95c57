import type { PersistenceError } from '@msal-persist/core';
import { Redis, type RedisOptions } from 'ioredis';
import type { LuaScript } from './lua-script.js';
import { mapRedisError } from './map-redis-error.js';

/**
 * How to reach Redis. Pass your own ioredis `client` (it is never quit by us), or a `url` and/or
 * `redisOptions` and a client is created with fast-fail settings and owned by the caller of `close()`.
 *
 * @example
 * ```ts
 * const options: RedisConnectionOptions = { url: 'redis://cache.internal:6379', commandTimeoutMs: 1000 };
 * ```
 */
export interface RedisConnectionOptions {
  /** An ioredis client you own. Give it {@link fastFailRedisOptions} so token calls never hang. */
  client?: Redis;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Extra ioredis options for the client we create (TLS, password, db…); the fast-fail settings win. */
  redisOptions?: Omit<RedisOptions, 'replyMapping'>;
  /** How long connecting may take before failing with `Timeout`/`NotAvailable`. Default 3000. */
  connectTimeoutMs?: number;
  /** How long one command may take before failing with `Timeout`. Default 2000. */
  commandTimeoutMs?: number;
}

/**
 * ioredis settings that make every command fail fast instead of queueing while Redis is down:
 * no offline queue, no resend after a dropped connection, a connect and a command timeout, and
 * reconnects every ≤ 1 s in the background so the cache works again as soon as Redis is back.
 *
 * @example
 * ```ts
 * const client = new Redis(process.env.REDIS_URL, fastFailRedisOptions({ commandTimeoutMs: 1000 }));
 * ```
 */
export function fastFailRedisOptions(
  options: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
): Omit<RedisOptions, 'replyMapping'> {
  return {
    connectTimeout: options.connectTimeoutMs ?? 3000,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    enableOfflineQueue: false,
    // 0, not 1: a resent script could apply a write twice, and the caller's retry is cheaper than a stall.
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(times * 50, 1000),
  };
}

/**
 * One ioredis client plus the error mapping and timeouts every command of this package goes
 * through. Share one between several caches (partitions) of a process.
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
  readonly client: Redis;
  /** `redis://host:port`, for messages. */
  readonly where: string;
  /** Command timeout in milliseconds. */
  readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly owned: boolean;
  private lastError: unknown;

  /** Wraps `client`; `owned` clients are quit by {@link RedisConnection.close}. Prefer {@link RedisConnection.open}. */
  constructor(client: Redis, options: { owned?: boolean; connectTimeoutMs?: number; commandTimeoutMs?: number } = {}) {
    this.client = client;
    this.owned = options.owned ?? false;
    this.connectTimeoutMs = options.connectTimeoutMs ?? client.options.connectTimeout ?? 3000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? client.options.commandTimeout ?? 2000;
    const { host, port, path } = client.options;
    this.where = path ? `redis+unix://${path}` : `redis://${host ?? '127.0.0.1'}:${port ?? 6379}`;
    // Only on our own client: on a caller's client a listener would hide errors they expect to see.
    if (this.owned) {
      client.on('error', (error: unknown) => {
        this.lastError = error;
      });
    }
  }

  /**
   * Uses `options.client`, or creates a fast-fail client and connects it, failing with
   * `NotAvailable` or `Timeout` when Redis cannot be reached within `connectTimeoutMs`.
   */
  static async open(options: RedisConnectionOptions = {}): Promise<RedisConnection> {
    const timeouts = {
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
    };
    if (options.client) return new RedisConnection(options.client, timeouts);
    // Legacy reply mapping only: the scripts' array replies are read as arrays.
    const settings: Omit<RedisOptions, 'replyMapping'> = {
      ...options.redisOptions,
      ...fastFailRedisOptions(options),
      lazyConnect: true,
    };
    const client = options.url ? new Redis(options.url, settings) : new Redis(settings);
    const connection = new RedisConnection(client, { ...timeouts, owned: true });
    try {
      await connection.ready();
    } catch (error) {
      client.disconnect();
      throw connection.map(error, `redis:${connection.where}`);
    }
    return connection;
  }

  /** Runs `command` once the client is ready, mapping every failure to a `PersistenceError`. */
  async run<T>(backend: string, command: (client: Redis) => Promise<T>): Promise<T> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      // Our clients time out commands themselves; a caller's may not, and a token call must never hang.
      return this.client.options.commandTimeout ? await command(this.client) : await this.guard(command(this.client));
    } catch (error) {
      throw this.map(error, backend);
    }
  }

  /** Runs a Lua script through {@link RedisConnection.run}. */
  script(
    backend: string,
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    return this.run(backend, (client) => script.run(client, keys, args));
  }

  /** Quits the client if this connection created it; a caller's client is left alone. Idempotent. */
  async close(): Promise<void> {
    if (!this.owned || this.client.status === 'end') return;
    try {
      await this.guard(this.client.quit());
    } catch {
      // quit needs a live server; a dead one still has to release the socket and timers.
      this.client.disconnect();
    }
  }

  private async ready(): Promise<void> {
    const { client } = this;
    if (client.status === 'ready') return;
    if (client.status === 'wait') {
      await client.connect();
      return;
    }
    if (client.status !== 'connecting' && client.status !== 'connect') {
      // Reconnecting or closed: fail now rather than wait for a server that is down.
      throw new Error(`Connection is closed (client status ${client.status})`);
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('connect timed out')), this.connectTimeoutMs);
      const onReady = () => done();
      const onEnd = () => done(new Error('Connection is closed'));
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        if (error) reject(error);
        else resolve();
      };
      client.once('ready', onReady);
      client.once('end', onEnd);
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
    const last = this.lastError as { code?: unknown } | undefined;
    const lastCode = typeof last?.code === 'string' ? last.code : undefined;
    const timeoutMs = /connect/i.test(error instanceof Error ? error.message : '')
      ? this.connectTimeoutMs
      : this.commandTimeoutMs;
    return mapRedisError(error, backend, this.where, timeoutMs, lastCode);
  }
}
