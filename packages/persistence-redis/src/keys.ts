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
