import { randomBytes } from 'node:crypto';
import {
  asideName,
  type BytesCodec,
  checkNumberOption,
  type Persistence,
  PersistenceError,
  toBytes,
} from '@msal-persist/core';
import { type PartitionKeys, type RedisKeys, redisKeys } from './keys.js';
import { expectedCommandTimeout, MAX_TIMER_MS } from './redis-client.js';
import { checkConnectionOptions, RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { KEEP_ASIDE_TTL_MS, type RedisLock } from './redis-lock.js';
import { LOAD, STAMPS, WRITE } from './scripts.js';
import type { VersionWatch } from './version-watch.js';

/**
 * Where the cache lives and how it is stored.
 *
 * @example
 * ```ts
 * const settings: RedisPersistenceSettings = { prefix: 'my-daemon', partition: 'tenant-a', ttlMs: 86_400_000 };
 * ```
 */
export interface RedisPersistenceSettings {
  /** Key prefix shared by every key of the cache. Default `msal-persist`. */
  prefix?: string;
  /** Which cache (per tenant, per app…). Default `default`. Must not contain `{` or `}`. */
  partition?: string;
  /** Sliding expiry: the cache is removed this long after its last save. Default: never. */
  ttlMs?: number;
  /** At-rest encoding of the blob, e.g. {@link AesGcmCodec}. Default: plaintext. */
  codec?: BytesCodec;
  /** The lock whose holds fence every save (see the README's fencing design); must use the same connection. Default: unfenced. */
  fencedBy?: RedisLock;
  /** How long a blob (or a key of a foreign type) moved aside is kept. Default 7 days. */
  keepAsideTtlMs?: number;
  /**
   * How long this process may trust the cache version it knows without asking Redis, should a
   * change notification be lost. Notifications arrive within a round trip; this bounds the rare
   * loss. 0: a round trip on every silent call. Default 1000.
   */
  maxStalenessMs?: number;
  /**
   * Replicas that must confirm a save (`WAIT`) before it counts as done; fewer within
   * `replicaTimeoutMs` and the save rejects with `Timeout`, so no acknowledged write rests on the
   * primary alone. Default 0 (asynchronous replication: a failover can lose the last writes).
   */
  minReplicas?: number;
  /** How long a save waits for `minReplicas`; below the command timeout. Default half the command timeout. */
  replicaTimeoutMs?: number;
}

/**
 * Options for {@link RedisPersistence.create}: how to connect plus where the cache lives.
 *
 * @example
 * ```ts
 * const options: RedisPersistenceOptions = { url: 'redis://127.0.0.1:6379', partition: 'tenant-a' };
 * ```
 */
export interface RedisPersistenceOptions extends RedisConnectionOptions, Omit<RedisPersistenceSettings, 'fencedBy'> {}

/**
 * Validates the persistence settings against the command timeout they will run under (a
 * `TypeError`/`RangeError` naming the option) and fills defaults.
 *
 * @example
 * ```ts
 * const { maxStalenessMs } = persistenceSettings({ maxStalenessMs: 500 }, 2000);
 * ```
 */
export function persistenceSettings(settings: Omit<RedisPersistenceSettings, 'fencedBy'>, commandTimeoutMs: number) {
  const minReplicas = checkNumberOption('minReplicas', settings.minReplicas, 0, { min: 0, max: 1000 });
  const replicaTimeoutMs = checkNumberOption(
    'replicaTimeoutMs',
    settings.replicaTimeoutMs,
    Math.max(1, Math.floor(commandTimeoutMs / 2)),
    // WAIT 0 blocks forever, and the command timeout would cut a longer wait short.
    { min: 1, max: Math.max(1, commandTimeoutMs - 1) },
  );
  return {
    keys: redisKeys(settings.prefix ?? 'msal-persist', settings.partition ?? 'default'),
    ttlMs: checkNumberOption('ttlMs', settings.ttlMs, 0, { min: 1, max: Number.MAX_SAFE_INTEGER }),
    keepAsideTtlMs: checkNumberOption('keepAsideTtlMs', settings.keepAsideTtlMs, KEEP_ASIDE_TTL_MS, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    maxStalenessMs: checkNumberOption('maxStalenessMs', settings.maxStalenessMs, 1000, { min: 0, max: MAX_TIMER_MS }),
    minReplicas,
    replicaTimeoutMs,
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * How a partition of a partitioned store differs from a cache of its own: hashed keys, a watch fed
 * by the store's one shared channel (its writes announce `<member> <version>` there), and an
 * expiry computed from what each write stores.
 *
 * @example
 * ```ts
 * const wiring: PartitionWiring = { keys: partitionKeys('web', key), watch, retainMs: (plain) => 86_400_000 };
 * ```
 */
export interface PartitionWiring {
  readonly keys: PartitionKeys;
  readonly watch: VersionWatch;
  /**
   * How long after this write the stored cache (and its counters) may go, given what is saved
   * (`null`: a delete), at least 1 ms. Relative, computed when the write is built: Redis counts it
   * down on its own clock, so an app host whose clock is off from the server's expires nothing early or late.
   */
  retainMs(plain: Uint8Array | null): number;
}

/**
 * What {@link RedisPersistence.loadIfChanged} found.
 *
 * @example
 * ```ts
 * const { version, changed, data } = await persistence.loadIfChanged(knownVersion);
 * ```
 */
export interface LoadedVersion {
  /** The version of what is stored now (`absent` when nothing is). */
  readonly version: string;
  /** False when `version` is the one the caller holds: `data` is then not read. */
  readonly changed: boolean;
  /** The decoded bytes when `changed` (null when nothing is stored). */
  readonly data: Uint8Array | null;
  /** Size of the stored (encoded) blob read, 0 when unchanged. */
  readonly storedBytes: number;
}

/**
 * The token cache as one Redis hash `{ d: blob, v: version }`. Every write is one Lua script, so
 * blob and version change together, and with `fencedBy` the write is refused (`LockLost`) unless
 * this process still holds the lock. The script publishes each new version, so `stamp()` answers
 * from memory on the hot path and asks Redis only after a change, a reconnect, or `maxStalenessMs`.
 * Versions come from a counter key that is never deleted plus a random nonce, so they never repeat,
 * even across deletes, re-creates and a flushed server.
 *
 * @example
 * ```ts
 * const persistence = await RedisPersistence.create({ url: 'redis://127.0.0.1:6379', partition: 'tenant-a' });
 * await persistence.save(new TextEncoder().encode('{}'));
 * await persistence.close();
 * ```
 */
export class RedisPersistence implements Persistence, AsyncDisposable {
  readonly name: string;
  readonly isEncrypted: boolean;
  /** The keys of this cache. */
  readonly keys: RedisKeys;
  private readonly connection: RedisConnection;
  private readonly codec: BytesCodec | undefined;
  private readonly settings: ReturnType<typeof persistenceSettings>;
  private readonly fencedBy: RedisLock | undefined;
  private watched: VersionWatch | undefined;
  private ownsConnection = false;
  private readonly wiring: PartitionWiring | undefined;

  /** `wiring`: only for a partition of a partitioned store (its keys replace `prefix` and `partition`). */
  constructor(connection: RedisConnection, settings: RedisPersistenceSettings = {}, wiring?: PartitionWiring) {
    this.connection = connection;
    this.settings = persistenceSettings(settings, connection.commandTimeoutMs);
    this.wiring = wiring;
    this.watched = wiring?.watch;
    this.keys = wiring?.keys ?? this.settings.keys;
    this.codec = settings.codec;
    this.isEncrypted = settings.codec?.isEncrypted ?? false;
    this.fencedBy = settings.fencedBy;
    this.name = `redis:${connection.where}/${this.keys.cache}`;
    if (this.fencedBy && this.fencedBy.keys.lock !== this.keys.lock) {
      throw new TypeError(`fencedBy guards ${this.fencedBy.keys.lock}, not this cache (${this.keys.lock}).`);
    }
    // The lock reads the cache version when it is taken, for this persistence's stamp: one connection.
    if (this.fencedBy && this.fencedBy.connection !== connection) {
      throw new TypeError('fencedBy must use the same RedisConnection as this persistence.');
    }
  }

  /** Connects (or wraps `options.client`) and returns a plain, unfenced persistence that owns the connection it created. */
  static async create(options: RedisPersistenceOptions = {}): Promise<RedisPersistence> {
    checkConnectionOptions(options);
    persistenceSettings(options, expectedCommandTimeout(options));
    const persistence = new RedisPersistence(await RedisConnection.open(options), options);
    persistence.ownsConnection = true;
    return persistence;
  }

  async load(): Promise<Uint8Array | null> {
    const stored = await this.connection.run(this.name, (client) => client.hgetBuffer(this.keys.cache, 'd'));
    if (stored === null) return null;
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
    if (bytes.byteLength === 0 || !this.codec) return bytes;
    return this.codec.decode(bytes);
  }

  async save(data: Uint8Array): Promise<string> {
    const plain = toBytes(data);
    const stored = plain.byteLength === 0 ? EMPTY : this.codec ? await this.codec.encode(plain) : plain;
    // Copy: the bytes must be a snapshot even if the caller reuses its buffer while we wait.
    const { version } = await this.write('save', Buffer.from(stored), plain);
    return version;
  }

  async delete(): Promise<void> {
    await this.write('delete', EMPTY);
  }

  /**
   * The stored version, its remaining TTL settling this process's watch, and the decoded blob only
   * when that version is not `known` (the version whose bytes the caller already has): one round
   * trip, a few bytes when nothing changed.
   */
  async loadIfChanged(known: string | undefined): Promise<LoadedVersion> {
    const generation = this.watched?.begin() ?? 0;
    const startedAt = performance.now();
    const reply = (await this.connection.run(this.name, (client) =>
      LOAD.runBuffer(client, [this.keys.cache], [known ?? '']),
    )) as [Buffer, number, Buffer | null];
    const version = reply[0].toString();
    this.watched?.settle(version, generation, startedAt, Number(reply[1]));
    if (version === known) return { version, changed: false, data: null, storedBytes: 0 };
    const stored = reply[2];
    if (stored === null || stored === undefined) return { version, changed: true, data: null, storedBytes: 0 };
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
    const data = bytes.byteLength === 0 || !this.codec ? bytes : await this.codec.decode(bytes);
    return { version, changed: true, data, storedBytes: bytes.byteLength };
  }

  /** The version this process knows, without a round trip while it is current; else `HGET` (one script). */
  stamp(): string | Promise<string> {
    const { maxStalenessMs } = this.settings;
    if (maxStalenessMs > 0) {
      this.watched ??= this.connection.watch(this.keys.channel);
      const known = this.watched.current(performance.now(), maxStalenessMs);
      if (known !== undefined) return known;
    }
    return this.readStamp();
  }

  async keepAside(): Promise<string | undefined> {
    const { aside } = await this.write('aside', EMPTY);
    return aside ? `${this.connection.where}/${aside}` : undefined;
  }

  /** Quits the Redis client if {@link RedisPersistence.create} created it. */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Reads the stored version with a round trip whatever this process knows, settling its watch
   * (the partitioned store's background re-check of the partitions it holds).
   */
  revalidate(): Promise<string> {
    return this.readStamp();
  }

  private async readStamp(): Promise<string> {
    const generation = this.watched?.begin() ?? 0;
    const startedAt = performance.now();
    const [version, pttl] = (await this.connection.script(this.name, STAMPS, [this.keys.cache], [])) as [
      unknown,
      unknown,
    ];
    this.watched?.settle(String(version), generation, startedAt, Number(pttl));
    return String(version);
  }

  private async write(
    op: 'save' | 'delete' | 'aside',
    data: Buffer,
    plain?: Uint8Array,
  ): Promise<{ version: string; aside: string }> {
    const { keys, settings } = this;
    const nonce = randomBytes(6).toString('hex');
    const hold = this.fencedBy?.currentHold();
    if (hold?.lost) {
      throw new PersistenceError(
        'LockLost',
        'The write was refused: the lease of the cache lock expired while this process held it, so another writer may have written. Retry the token call.',
        { backend: this.name },
      );
    }
    // 'held': only while our token is in the lock key; 'free': a fenced cache written without the lock must not race a holder.
    const mode = !this.fencedBy ? 'any' : hold ? 'held' : 'free';
    const scriptKeys = [keys.cache, keys.seq, keys.lock, asideName(keys.cache), asideName(keys.seq)];
    if (this.wiring) scriptKeys.push(keys.fence);
    const args = [
      op,
      data,
      nonce,
      settings.ttlMs,
      mode,
      hold?.token ?? '',
      hold?.fence ?? 0,
      settings.keepAsideTtlMs,
      keys.channel,
    ];
    if (this.wiring) args.push(this.wiring.retainMs(plain ?? null), `${this.wiring.keys.member} `);
    const generation = this.watched?.begin() ?? 0;
    const startedAt = performance.now();
    const [reply, replicas] = await this.connection.run(this.name, (client) =>
      settings.minReplicas > 0
        ? WRITE.runThenWait(client, scriptKeys, args, settings.minReplicas, settings.replicaTimeoutMs)
        : WRITE.run(client, scriptKeys, args).then((result): [unknown, number] => [result, 0]),
    );
    const [version, aside, pttl] = (reply as [unknown, unknown, unknown]).map(String) as [string, string, string];
    this.watched?.settle(version, generation, startedAt, Number(pttl));
    if (replicas < settings.minReplicas) {
      throw new PersistenceError(
        'Timeout',
        `The cache was written on the primary at ${this.connection.where}, but only ${replicas} of the ${settings.minReplicas} ` +
          `replicas required (minReplicas) confirmed it within ${settings.replicaTimeoutMs} ms, so a failover now could lose it. ` +
          'Check the replicas and their link to the primary, or raise replicaTimeoutMs; retry the token call.',
        { backend: this.name },
      );
    }
    return { version, aside };
  }
}
