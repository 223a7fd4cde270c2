/**
 * The Lua scripts of the fleet token cache. Each runs atomically in Redis, so "check, then act"
 * cannot be split by another replica. Every key a script touches carries the same hash tag
 * ({token}, see keys.ts), so the scripts also run on a Redis Cluster. Names follow
 * `name-<number of keys>`; each header says KEYS, ARGV and what the script returns.
 *
 * The token value is stored as `<mintedAt>|<sealed token>`: the epoch-ms prefix lets a script order
 * tokens without seeing them (they are sealed), so an older token never overwrites a newer one.
 */

export interface LuaScript {
  /** ioredis command name (defineCommand); unique across the gateway. */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

export const WRITE_TOKEN: LuaScript = {
  name: 'zvgwTokenWrite',
  numberOfKeys: 1,
  lua: `
-- writeToken-1: store a newly minted token unless the store holds a newer one, then tell waiters.
-- KEYS[1]  token value key
-- ARGV[1]  '<mintedAt>|<sealed>'   ARGV[2] time to live in ms   ARGV[3] mintedAt (epoch ms)
-- ARGV[4]  pub/sub channel         ARGV[5] message to publish
-- returns  1 when written, 0 when a newer token was kept
local current = redis.call('GET', KEYS[1])
if current then
  local held = tonumber(string.match(current, '^(%d+)|'))
  if held and held > tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`,
};

/**
 * Compare-and-delete, then tell waiters. One script serves both places that must only remove what
 * they own: invalidating exactly the token Zoho rejected (never a newer one), and releasing the
 * refresh lock (a holder whose lease ran out cannot free its successor's lock).
 */
export const DELETE_IF_EQUALS: LuaScript = {
  name: 'zvgwTokenDeleteIfEquals',
  numberOfKeys: 1,
  lua: `
-- deleteIfEquals-1: delete KEYS[1] only if it still holds ARGV[1], then publish.
-- KEYS[1]  token value key (invalidate) or lock key (release)
-- ARGV[1]  the value read before (a sealed token, unique per write) or the lock owner id
-- ARGV[2]  pub/sub channel         ARGV[3] message to publish when deleted
-- returns  1 when deleted, 0 when the key holds something else (or nothing)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
`,
};

export const RENEW_LOCK: LuaScript = {
  name: 'zvgwTokenRenewLock',
  numberOfKeys: 1,
  lua: `
-- renewLock-1: extend the lease while a refresh is still running, only for its owner.
-- KEYS[1]  lock key
-- ARGV[1]  owner id                ARGV[2] new lease in ms
-- returns  1 when extended, 0 when the lock is not ours any more
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`,
};

export const RAISE_BACKOFF: LuaScript = {
  name: 'zvgwTokenRaiseBackoff',
  numberOfKeys: 1,
  lua: `
-- raiseBackoff-1: record a fleet-wide back-off; a later deadline wins, an earlier one never shortens it.
-- KEYS[1]  back-off key
-- ARGV[1]  until (epoch ms)        ARGV[2] time to live in ms
-- returns  the back-off deadline now in force (epoch ms, as a number)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return wanted
end
return current
`,
};

export const TOKEN_SCRIPTS: readonly LuaScript[] = [WRITE_TOKEN, DELETE_IF_EQUALS, RENEW_LOCK, RAISE_BACKOFF];
