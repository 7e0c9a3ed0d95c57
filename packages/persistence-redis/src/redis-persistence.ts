import { randomBytes } from 'node:crypto';
import { type BytesCodec, type Persistence, PersistenceError, toBytes } from '@msal-persist/core';
import { type RedisKeys, redisKeys } from './keys.js';
import { RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import type { RedisLock } from './redis-lock.js';
import { WRITE } from './scripts.js';

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
  /** The lock whose holds fence every save (see the README's fencing design). Default: unfenced. */
  fencedBy?: RedisLock;
  /** How long a blob moved aside by `keepAside` is kept. Default 7 days. */
  keepAsideTtlMs?: number;
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

const EMPTY = Buffer.alloc(0);

/**
 * The token cache as one Redis hash `{ d: blob, v: version }`. `stamp()` is one `HGET`; every
 * write is one Lua script, so blob and version change together, and with `fencedBy` the write is
 * refused (`LockLost`) unless this process still holds the lock. Versions come from a counter
 * key that is never deleted plus a random nonce, so they never repeat, even across deletes,
 * re-creates and a flushed server.
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
  private readonly ttlMs: number;
  private readonly keepAsideTtlMs: number;
  private readonly fencedBy: RedisLock | undefined;
  private ownsConnection = false;

  constructor(connection: RedisConnection, settings: RedisPersistenceSettings = {}) {
    this.connection = connection;
    this.keys = redisKeys(settings.prefix ?? 'msal-persist', settings.partition ?? 'default');
    this.codec = settings.codec;
    this.isEncrypted = settings.codec?.isEncrypted ?? false;
    this.ttlMs = settings.ttlMs ?? 0;
    this.keepAsideTtlMs = settings.keepAsideTtlMs ?? 7 * 24 * 3600 * 1000;
    this.fencedBy = settings.fencedBy;
    this.name = `redis:${connection.where}/${this.keys.cache}`;
    if (this.fencedBy && this.fencedBy.keys.lock !== this.keys.lock) {
      throw new TypeError(`fencedBy guards ${this.fencedBy.keys.lock}, not this cache (${this.keys.lock}).`);
    }
  }

  /** Connects (or wraps `options.client`) and returns a plain, unfenced persistence that owns the connection it created. */
  static async create(options: RedisPersistenceOptions = {}): Promise<RedisPersistence> {
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
    const [version] = await this.write('save', Buffer.from(stored));
    return version;
  }

  async delete(): Promise<void> {
    await this.write('delete', EMPTY);
  }

  stamp(): Promise<string> {
    return this.connection.run(this.name, async (client) => (await client.hget(this.keys.cache, 'v')) ?? 'absent');
  }

  async keepAside(): Promise<string | undefined> {
    const [, aside] = await this.write('aside', EMPTY);
    return aside ? `${this.connection.where}/${aside}` : undefined;
  }

  /** Quits the Redis client if {@link RedisPersistence.create} created it. */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async write(op: 'save' | 'delete' | 'aside', data: Buffer): Promise<[string, string]> {
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
    const reply = await this.connection.script(
      this.name,
      WRITE,
      [this.keys.cache, this.keys.seq, this.keys.lock, `${this.keys.aside}:${nonce}`],
      [op, data, nonce, this.ttlMs, mode, hold?.token ?? '', hold?.fence ?? 0, this.keepAsideTtlMs],
    );
    const [version, aside] = reply as [unknown, unknown];
    return [String(version), String(aside)];
  }
}
