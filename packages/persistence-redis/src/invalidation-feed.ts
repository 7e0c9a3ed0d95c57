import { randomBytes } from 'node:crypto';
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
 * A channel is either one cache's (the message is the new version) or shared by many
 * (`watch(channel, member)`: the message is `<member> <version>`), so a partitioned store with
 * any number of partitions holds one channel on one connection, and a new partition costs no
 * command at all once that channel is subscribed.
 *
 * @example
 * ```ts
 * const feed = new InvalidationFeed(client);
 * const watch = feed.watch('msal-persist:{default}:changed');
 * await feed.close();
 * ```
 */
export class InvalidationFeed {
  /** Per channel, its watches by member ('' for a channel of its own). */
  private readonly channels = new Map<string, Map<string, VersionWatch>>();
  /** Channels whose SUBSCRIBE the current subscriber confirmed. */
  private readonly confirmed = new Set<string>();
  /** Per shared channel, when (performance.now()) our latest heartbeat that came back was sent. */
  private readonly delivered = new Map<string, number>();
  /** Heartbeats in flight: token → when it was sent. */
  private readonly beats = new Map<string, number>();
  private readonly beatPrefix = `~beat ${randomBytes(6).toString('hex')}:`;
  private beatSequence = 0;
  private readonly beaters: ReturnType<typeof setInterval>[] = [];
  private subscriber: Redis | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly onSourceEnd = () => void this.close();

  constructor(private readonly source: RedisClient) {
    // A caller's client that quits takes our subscriber with it, so their process can exit.
    source.once('end', this.onSourceEnd);
  }

  /**
   * The watch of `channel` (or of `member` on the shared `channel`), subscribing to the channel on
   * first use.
   */
  watch(channel: string, member = ''): VersionWatch {
    let members = this.channels.get(channel);
    const known = members?.get(member);
    if (known) return known;
    const watch = new VersionWatch();
    // Closed: a watch that is never subscribed, so every stamp asks (and fails like every command).
    if (this.closed) return watch;
    if (!members) {
      members = new Map();
      this.channels.set(channel, members);
      if (!this.subscriber) this.connect();
      else if (this.subscriber.status === 'ready') this.subscribe(this.subscriber, [channel]);
    }
    members.set(member, watch);
    // Already subscribed: every message from now on reaches it; it settles at its first round trip.
    if (this.confirmed.has(channel)) watch.setSubscribed(true);
    return watch;
  }

  /** The watch of `channel` (`member`) if something already watches it (the lock settles it, never starts it). */
  existing(channel: string, member = ''): VersionWatch | undefined {
    return this.channels.get(channel)?.get(member);
  }

  /**
   * Stops keeping `member`'s watch of the shared `channel` current (its partition left memory): that
   * watch asks Redis from now on. The channel stays subscribed for the others.
   */
  forget(channel: string, member: string): void {
    const members = this.channels.get(channel);
    const watch = members?.get(member);
    if (!watch || !members) return;
    members.delete(member);
    watch.setSubscribed(false);
  }

  /**
   * Publishes a heartbeat on the shared `channel` every `everyMs` (from the commands' connection).
   * Redis delivers a channel's messages to a subscriber in the order it ran the publishes, so when
   * our heartbeat comes back, every write published before it was sent has arrived: see
   * {@link InvalidationFeed.deliveredUpTo}. One small PUBLISH per interval, whatever the number of
   * members. (In a Cluster, messages published on other nodes travel the cluster bus and may arrive
   * a moment later than that order says.)
   */
  heartbeat(channel: string, everyMs: number): void {
    const beater = setInterval(() => {
      if (!this.confirmed.has(channel)) return;
      const token = `${this.beatPrefix}${++this.beatSequence}`;
      this.beats.set(token, performance.now());
      // Nothing to report on failure: without heartbeats the watches fall back to their own bound.
      this.source.publish(channel, token).catch(() => this.beats.delete(token));
    }, everyMs);
    // Timers never keep a process alive.
    beater.unref();
    this.beaters.push(beater);
  }

  /** When (`performance.now()`) the latest heartbeat of `channel` that came back was sent; -∞ when none since subscribing. */
  deliveredUpTo(channel: string): number {
    return this.delivered.get(channel) ?? Number.NEGATIVE_INFINITY;
  }

  /** How many watches the feed keeps current, over how many channels. */
  size(): { channels: number; watches: number } {
    let watches = 0;
    for (const members of this.channels.values()) watches += members.size;
    return { channels: this.channels.size, watches };
  }

  /** Closes the subscriber connection; every watch then asks Redis again. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.source.off('end', this.onSourceEnd);
    clearTimeout(this.retry);
    for (const beater of this.beaters.splice(0)) clearInterval(beater);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.unsubscribeAll();
    subscriber?.disconnect();
  }

  private unsubscribeAll(): void {
    this.confirmed.clear();
    this.delivered.clear();
    this.beats.clear();
    for (const members of this.channels.values()) for (const watch of members.values()) watch.setSubscribed(false);
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
    subscriber.on('ready', () => this.subscribe(subscriber, [...this.channels.keys()]));
    subscriber.on('close', () => this.unsubscribeAll());
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    subscriber.once('end', () => {
      if (this.subscriber !== subscriber) return;
      this.subscriber = undefined;
      this.later();
    });
    subscriber.connect().catch(() => undefined);
  }

  private deliver(channel: string, message: string): void {
    const members = this.channels.get(channel);
    if (!members) return;
    if (message.startsWith('~beat ')) {
      const sentAt = this.beats.get(message);
      if (sentAt === undefined) return;
      this.beats.delete(message);
      if (sentAt > this.deliveredUpTo(channel)) this.delivered.set(channel, sentAt);
      return;
    }
    const own = members.get('');
    if (own) {
      own.invalidate(message);
      return;
    }
    const space = message.indexOf(' ');
    // A shared channel's message without a member says nothing anyone could act on.
    if (space < 0) return;
    members.get(message.slice(0, space))?.invalidate(message.slice(space + 1));
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
        for (const channel of channels) {
          this.confirmed.add(channel);
          for (const watch of this.channels.get(channel)?.values() ?? []) watch.setSubscribed(true);
        }
      },
      // Refused (an ACL without this channel) or dropped: the watch stays unsubscribed, and every
      // stamp is a round trip, which is correct, only slower.
      () => undefined,
    );
  }
}
