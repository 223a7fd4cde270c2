/**
 * The Lua scripts of idempotent creates. Each touches one key, `{idem:<digest>}:record` (see
 * keys.ts), so they run on a Redis Cluster too. Names follow `name-<number of keys>`; each header
 * says KEYS, ARGV and what the script returns.
 *
 * A record is JSON text (idempotency-store.ts). An in-flight record holds a random claim id, so
 * the exact text a request wrote identifies its owner: "complete" and "release" compare the whole
 * value and act only if it is still the one this request wrote.
 */
import type { LuaScript } from './token-scripts';

export const BEGIN_IDEMPOTENT: LuaScript = {
  name: 'zvgwIdempotencyBegin',
  numberOfKeys: 1,
  lua: `
-- begin-1: take the key for a new request, unless a record exists.
-- KEYS[1]  record key
-- ARGV[1]  the in-flight record (JSON)   ARGV[2] time to live in ms
-- returns  nil when taken, else the record already there (JSON)
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`,
};

export const COMPLETE_IDEMPOTENT: LuaScript = {
  name: 'zvgwIdempotencyComplete',
  numberOfKeys: 1,
  lua: `
-- complete-1: replace our in-flight record by the finished one (compare-and-set).
-- KEYS[1]  record key
-- ARGV[1]  the in-flight record this request wrote   ARGV[2] the finished record (JSON)   ARGV[3] time to live in ms
-- returns  1 when stored, 0 when the key holds something else (expired, or another owner)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`,
};

export const RELEASE_IDEMPOTENT: LuaScript = {
  name: 'zvgwIdempotencyRelease',
  numberOfKeys: 1,
  lua: `
-- release-1: delete our in-flight record (compare-and-delete), so the key can be used again.
-- KEYS[1]  record key
-- ARGV[1]  the in-flight record this request wrote
-- returns  1 when deleted, 0 when the key holds something else
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`,
};

export const IDEMPOTENCY_SCRIPTS: readonly LuaScript[] = [BEGIN_IDEMPOTENT, COMPLETE_IDEMPOTENT, RELEASE_IDEMPOTENT];
