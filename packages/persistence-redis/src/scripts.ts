import { LuaScript } from './lua-script.js';

// Shared by the scripts below. A key of a type we never write (someone's list at our cache key, a
// hash at the lock key) fails every command on it with WRONGTYPE, forever; such a key is renamed to
// `aside` (kept `ttl` ms for inspection, like an unreadable blob) so the cache works again.
// `integer` also moves a string that is not an integer (a counter INCR would refuse).
const PRELUDE = `
local function move_foreign(key, want, aside, ttl, nonce, integer)
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return '' end
  if kind == want then
    if not integer or string.match(redis.call('GET', key), '^%-?%d+$') then return '' end
  end
  if redis.call('EXISTS', aside) == 1 then aside = aside .. '-' .. nonce end
  redis.call('RENAME', key, aside)
  redis.call('PEXPIRE', aside, ttl)
  return aside
end
local function stamp_of(key)
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return 'absent' end
  if kind ~= 'hash' then return 'foreign:' .. kind end
  return redis.call('HGET', key, 'v') or 'absent'
end
`;

// One script for every change to the cache hash, so the fencing check and the write are one atomic
// step: a holder whose lease expired can never slip a write in between check and write.
// KEYS: cache hash, version counter, lock, aside name for the cache, aside name for the counter,
// and (partitions) the fence counter.
// ARGV: op (save|delete|aside), data, nonce, ttlMs, mode (any|free|held), lock token, fence,
// aside ttlMs, channel, and (partitions) retainMs (the cache, its counter and its fence expire
// that long after the write, so a partition nobody uses leaves nothing behind; relative, so the
// app host's clock need not agree with the server's) and the member the message names.
/**
 * Writes, deletes or keeps aside the cache blob, and publishes the new version on the cache's
 * channel; returns `{ version, asideKey | '', pttl }`.
 */
export const WRITE = new LuaScript(`${PRELUDE}
local op, mode, nonce, aside_ttl = ARGV[1], ARGV[5], ARGV[3], ARGV[8]
local cache_kind = redis.call('TYPE', KEYS[1]).ok
if mode == 'held' then
  if redis.call('TYPE', KEYS[3]).ok ~= 'string' or redis.call('GET', KEYS[3]) ~= ARGV[6] then
    return redis.error_reply('LOCKLOST the lock is no longer held by this writer')
  end
  local last = 0
  if cache_kind == 'hash' then last = tonumber(redis.call('HGET', KEYS[1], 'f') or '0') end
  if last > tonumber(ARGV[7]) then
    return redis.error_reply('LOCKLOST a writer with a newer fencing token has written')
  end
elseif mode == 'free' then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    return redis.error_reply('LOCKBUSY another writer holds the lock')
  end
end
local moved = move_foreign(KEYS[1], 'hash', KEYS[4], aside_ttl, nonce, false)
move_foreign(KEYS[2], 'string', KEYS[5], aside_ttl, nonce, true)
if op ~= 'save' and moved == '' and redis.call('HEXISTS', KEYS[1], 'd') == 0 then
  return {stamp_of(KEYS[1]), '', redis.call('PTTL', KEYS[1])}
end
local aside = moved
if op == 'aside' and moved == '' then
  aside = KEYS[4]
  if redis.call('EXISTS', aside) == 1 then aside = aside .. '-' .. nonce end
  redis.call('SET', aside, redis.call('HGET', KEYS[1], 'd'), 'PX', aside_ttl)
end
local v = redis.call('INCR', KEYS[2]) .. '.' .. nonce
if op == 'save' then
  redis.call('HSET', KEYS[1], 'd', ARGV[2], 'v', v)
else
  redis.call('HDEL', KEYS[1], 'd')
  redis.call('HSET', KEYS[1], 'v', v)
end
if mode == 'held' then redis.call('HSET', KEYS[1], 'f', ARGV[7]) end
local ttl = tonumber(ARGV[4])
local retain = tonumber(ARGV[10] or '0')
if retain > 0 then
  redis.call('PEXPIRE', KEYS[1], retain)
  redis.call('PEXPIRE', KEYS[2], retain)
  if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then redis.call('PEXPIRE', KEYS[6], retain) end
elseif ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
-- pcall: a user whose ACL forbids the channel still writes; its readers fall back to a round trip.
redis.pcall('PUBLISH', ARGV[9], (ARGV[11] or '') .. v)
return {v, aside, redis.call('PTTL', KEYS[1])}
`);

// KEYS: cache hashes (one slot's, or any on one server). Returns { version, pttl } for each, flat:
// the stamps in one round trip, with the expiry a reader needs to know when a cache will vanish
// without a write (and so without a message).
/** Reads the caches' versions and remaining TTLs (`-1` none, `-2` absent): one cache, or a batch of a partitioned store's. */
export const STAMPS = new LuaScript(`${PRELUDE}
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = stamp_of(key)
  out[2 * i] = redis.call('PTTL', key)
end
return out
`);

// KEYS: lock, fence counter, cache hash, aside name for the lock, aside name for the counter.
// ARGV: token, leaseMs, aside ttlMs, nonce, and (partitions) the fence's shortest TTL in ms.
// Returns { fence, version, pttl } when taken (fence 0 when another holder has it). A retry of an
// acquire whose reply was lost (a failover) finds its own token and takes it again. The fence never
// drops to or below the one stored with the last fenced write, even if the counter was lost
// (evicted, flushed, a failover to a replica that missed it): such a writer would be refused forever.
/** Takes the lock if free, hands out the next fencing token, and reads the cache's version with it. */
export const ACQUIRE = new LuaScript(`${PRELUDE}
move_foreign(KEYS[1], 'string', KEYS[4], ARGV[3], ARGV[4], false)
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, '', -2} end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
move_foreign(KEYS[2], 'string', KEYS[5], ARGV[3], ARGV[4], true)
local fence = redis.call('INCR', KEYS[2])
local last = 0
if redis.call('TYPE', KEYS[3]).ok == 'hash' then last = tonumber(redis.call('HGET', KEYS[3], 'f') or '0') end
if last >= fence then
  fence = last + 1
  redis.call('SET', KEYS[2], fence)
end
-- A partition's counter must not outlive it forever (a lock taken and released without a write),
-- nor vanish during a hold; a write moves its expiry to the cache's.
local keep = tonumber(ARGV[5] or '0')
if keep > 0 and redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
return {fence, stamp_of(KEYS[3]), redis.call('PTTL', KEYS[3])}
`);

// KEYS: lock. ARGV: token, leaseMs. Returns 1 when the lease was extended, 0 when it was lost.
/** Extends the lease only if this holder still has the lock. */
export const RENEW = new LuaScript(`
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

// KEYS: lock. ARGV: token. Compare-and-delete: never frees a lock someone else now holds.
/** Releases the lock only if this holder still has it. */
export const RELEASE = new LuaScript(`
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

// KEYS: cache hash. ARGV: the version the caller holds the bytes of ('' for none).
// Returns { version, pttl, blob or nil }: the blob only when the version is another, so a reader
// whose copy is current pays a round trip of a few bytes. A key of a foreign type fails (HGET).
/** Reads the cache's version and remaining TTL, and its blob when the version differs from ARGV[1]. */
export const LOAD = new LuaScript(`${PRELUDE}
local v = stamp_of(KEYS[1])
local d = false
if v ~= ARGV[1] and v ~= 'absent' then d = redis.call('HGET', KEYS[1], 'd') end
return {v, redis.call('PTTL', KEYS[1]), d}
`);
