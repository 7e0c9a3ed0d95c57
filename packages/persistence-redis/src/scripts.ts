import { LuaScript } from './lua-script.js';

// One script for every change to the cache hash, so the fencing check and the write are one atomic
// step: a holder whose lease expired can never slip a write in between check and write.
// KEYS: cache hash, version counter, lock, aside key.
// ARGV: op (save|delete|aside), data, nonce, ttlMs, mode (any|free|held), lock token, fence, aside ttlMs.
/** Writes, deletes or keeps aside the cache blob; returns `{ version, asideKey | '' }`. */
export const WRITE = new LuaScript(`
local op, mode = ARGV[1], ARGV[5]
if mode == 'held' then
  if redis.call('GET', KEYS[3]) ~= ARGV[6] then
    return redis.error_reply('LOCKLOST the lock is no longer held by this writer')
  end
  local last = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
  if last > tonumber(ARGV[7]) then
    return redis.error_reply('LOCKLOST a writer with a newer fencing token has written')
  end
elseif mode == 'free' then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    return redis.error_reply('LOCKBUSY another writer holds the lock')
  end
end
if op ~= 'save' and redis.call('HEXISTS', KEYS[1], 'd') == 0 then
  return {redis.call('HGET', KEYS[1], 'v') or 'absent', ''}
end
local aside = ''
if op == 'aside' then
  redis.call('SET', KEYS[4], redis.call('HGET', KEYS[1], 'd'), 'PX', ARGV[8])
  aside = KEYS[4]
end
local v = redis.call('INCR', KEYS[2]) .. '.' .. ARGV[3]
if op == 'save' then
  redis.call('HSET', KEYS[1], 'd', ARGV[2], 'v', v)
else
  redis.call('HDEL', KEYS[1], 'd')
  redis.call('HSET', KEYS[1], 'v', v)
end
if mode == 'held' then redis.call('HSET', KEYS[1], 'f', ARGV[7]) end
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return {v, aside}
`);

// KEYS: lock, fence counter. ARGV: token, leaseMs. Returns the new fencing token, or 0 when held.
/** Takes the lock if free and hands out the next fencing token. */
export const ACQUIRE = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
`);

// KEYS: lock. ARGV: token, leaseMs. Returns 1 when the lease was extended, 0 when it was lost.
/** Extends the lease only if this holder still has the lock. */
export const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

// KEYS: lock. ARGV: token. Compare-and-delete: never frees a lock someone else now holds.
/** Releases the lock only if this holder still has it. */
export const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
