import { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './redis-client.js';
import { VersionWatch } from './version-watch.js';

const RESUBSCRIBE_MS = 250;

/**
 * The subscriber connection that keeps the {@link VersionWatch}es of one {@link RedisConnection}
 * current: one channel per cache, on which the write script publishes each new version. Its own
 * connection (a subscribed one can run nothing else): a duplicate of the client for one server or
 * Sentinel (so it follows a failover too), a connection to any node of a Cluster (a classic
 * `PUBLISH` reaches every node). Every (re)subscription and every disconnect invalidates all
 * watches: messages sent meanwhile are lost, so the next stamp is a round trip.
 *
 * @example
 * ```ts
 * const feed = new InvalidationFeed(client);
 * const watch = feed.watch('msal-persist:{default}:changed');
 * await feed.close();
 * ```
 */
export class InvalidationFeed {
  private readonly watches = new Map<string, VersionWatch>();
  private subscriber: Redis | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly onSourceEnd = () => void this.close();

  constructor(private readonly source: RedisClient) {
    // A caller's client that quits takes our subscriber with it, so their process can exit.
    source.once('end', this.onSourceEnd);
  }

  /** The watch of `channel`, subscribing to it on first use. */
  watch(channel: string): VersionWatch {
    const known = this.watches.get(channel);
    if (known) return known;
    const watch = new VersionWatch();
    this.watches.set(channel, watch);
    if (!this.subscriber) this.connect();
    else if (this.subscriber.status === 'ready') this.subscribe(this.subscriber, [channel]);
    return watch;
  }

  /** The watch of `channel` if something already watches it (the lock settles it, never starts it). */
  existing(channel: string): VersionWatch | undefined {
    return this.watches.get(channel);
  }

  /** Closes the subscriber connection; every watch then asks Redis again. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.source.off('end', this.onSourceEnd);
    clearTimeout(this.retry);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    for (const watch of this.watches.values()) watch.setSubscribed(false);
    subscriber?.disconnect();
  }

  private connect(): void {
    if (this.closed) return;
    const subscriber = this.create();
    if (!subscriber) {
      this.later();
      return;
    }
    this.subscriber = subscriber;
    // Errors show up as `close`, and the commands' own connection reports them to callers.
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => this.subscribe(subscriber, [...this.watches.keys()]));
    subscriber.on('close', () => {
      for (const watch of this.watches.values()) watch.setSubscribed(false);
    });
    subscriber.on('message', (channel: string, version: string) => this.watches.get(channel)?.invalidate(version));
    subscriber.once('end', () => {
      if (this.subscriber !== subscriber) return;
      this.subscriber = undefined;
      this.later();
    });
    subscriber.connect().catch(() => undefined);
  }

  private later(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.connect(), RESUBSCRIBE_MS);
    this.retry.unref();
  }

  private create(): Redis | undefined {
    const overrides = { lazyConnect: true, autoResubscribe: false, connectionName: 'msal-persist:invalidations' };
    if (!isCluster(this.source)) return this.source.duplicate(overrides);
    const nodes = this.source.nodes('all');
    const node = nodes[Math.floor(Math.random() * nodes.length)];
    if (!node) return undefined;
    const { replyMapping: _legacyOnly, ...nodeOptions } = this.source.options.redisOptions ?? {};
    // No reconnects of its own: when its node goes away, `end` picks another node.
    return new Redis({
      ...nodeOptions,
      ...overrides,
      host: node.options.host ?? '127.0.0.1',
      port: node.options.port ?? 6379,
      retryStrategy: () => null,
    });
  }

  private subscribe(subscriber: Redis, channels: string[]): void {
    if (channels.length === 0) return;
    subscriber.subscribe(...channels).then(
      () => {
        if (this.subscriber !== subscriber || subscriber.status !== 'ready') return;
        for (const channel of channels) this.watches.get(channel)?.setSubscribed(true);
      },
      // Refused (an ACL without this channel) or dropped: the watch stays unsubscribed, and every
      // stamp is a round trip, which is correct, only slower.
      () => undefined,
    );
  }
}
