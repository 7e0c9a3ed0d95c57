import { createHash, createHmac } from 'node:crypto';

/**
 * The Redis keys of one cache. All share the hash tag `{partition}` so they live in one Redis
 * Cluster slot, which the Lua scripts that touch several of them at once require.
 *
 * @example
 * ```ts
 * redisKeys('msal-persist', 'tenant-a').cache; // 'msal-persist:{tenant-a}:cache'
 * ```
 */
export interface RedisKeys {
  /** Hash `{ d: blob, v: version, f: fencing token of the last fenced write }`. */
  readonly cache: string;
  /** Counter behind every version; never deleted, so versions never repeat. */
  readonly seq: string;
  /** The lock: holder token with a PX lease. */
  readonly lock: string;
  /** Counter handing out fencing tokens; never deleted. */
  readonly fence: string;
  /** Pub/sub channel on which every write publishes the new version (not a key: no slot). */
  readonly channel: string;
}

/**
 * Builds the keys of the cache `partition` under `prefix`.
 *
 * @example
 * ```ts
 * const keys = redisKeys('my-daemon', 'prod');
 * ```
 */
export function redisKeys(prefix: string, partition: string): RedisKeys {
  if (/[{}]/.test(partition)) {
    throw new TypeError(`partition "${partition}" must not contain "{" or "}": it becomes a Redis Cluster hash tag.`);
  }
  const base = `${prefix}:{${partition}}`;
  return {
    cache: `${base}:cache`,
    seq: `${base}:seq`,
    lock: `${base}:lock`,
    fence: `${base}:fence`,
    channel: `${base}:changed`,
  };
}

/**
 * The keys of one partition of a partitioned store: {@link redisKeys} under the hashed key (so the
 * raw key, which may name a user, is in no Redis key and no message), plus the store-wide
 * `channel` every partition's writes are announced on, each message starting with `member`.
 *
 * @example
 * ```ts
 * const keys = partitionKeys('web', 'user:1234');
 * keys.cache; // 'web:p:{<43 base64url chars>}:cache'
 * keys.channel; // 'web:p:changed'
 * ```
 */
export interface PartitionKeys extends RedisKeys {
  /** Base64url SHA-256 of the partition key: its hash tag, and its name in change messages. */
  readonly member: string;
}

/**
 * The store-wide change channel of the partitioned store under `prefix`: one subscription for
 * every partition, whatever their number.
 *
 * @example
 * ```ts
 * partitionsChannel('web'); // 'web:p:changed'
 * ```
 */
export function partitionsChannel(prefix: string): string {
  return `${prefix}:p:changed`;
}

/**
 * Builds the keys of partition `key` under `prefix` (see {@link PartitionKeys}): SHA-256 of the
 * key, which every fleet member computes alike; someone who can list the keys and guesses a
 * partition key (a home account id) can confirm the guess. With `secret` (shared by the fleet) it
 * is HMAC-SHA-256 instead, which nobody without the secret can compute.
 *
 * @example
 * ```ts
 * const { cache, member } = partitionKeys('web', homeAccountId);
 * const hidden = partitionKeys('web', homeAccountId, process.env.PARTITION_KEY_SECRET);
 * ```
 */
export function partitionKeys(prefix: string, key: string, secret?: string | Uint8Array): PartitionKeys {
  const hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  // UTF-16 code units, not UTF-8: UTF-8 turns every lone surrogate into U+FFFD, so two keys that
  // differ only there would share a partition.
  const member = hash.update(key, 'utf16le').digest('base64url');
  return { ...redisKeys(`${prefix}:p`, member), channel: partitionsChannel(prefix), member };
}
