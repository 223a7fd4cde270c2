/**
 * The Lua script of the per-caller rate limit: one token bucket per caller in Redis, shared by
 * every replica. Replicas do not take one token per request: each leases a chunk of tokens and
 * spends it locally (src/ratelimit/redis-rate-limiter.ts), so Redis sees one script call per chunk.
 * One key per caller (`{rl:<caller>}`, see keys.ts), so it runs on a Redis Cluster too.
 *
 * The bucket's layout (hash: tokens, at) is the one the earlier take-one-token script used, so
 * replicas of both versions share one bucket during a rolling update.
 */
import type { LuaScript } from './token-scripts';

export const LEASE_TOKENS: LuaScript = {
  name: 'zvgwRateLimitLease',
  numberOfKeys: 1,
  lua: `
-- leaseTokens-1: refill the caller's bucket for the time passed, then grant up to ARGV[3] tokens.
-- KEYS[1]  the caller's bucket (hash: tokens, at)
-- ARGV[1]  rate, tokens per second (may be fractional)   ARGV[2] burst (bucket size)
-- ARGV[3]  want: tokens asked for (whole, >= 1; more than the burst counts as the burst)
-- returns  {granted, waitMs}: granted = the whole tokens given, min(want, what the bucket holds);
--          waitMs = 0 when all of want was granted, else ms until the bucket holds one whole token again
-- Time is Redis's own (TIME), so replicas whose clocks disagree still share one bucket fairly.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = math.max(1, math.min(math.floor(tonumber(ARGV[3])), burst))
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < want then
  -- granted took every whole token, so less than one is left
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
-- A bucket that has refilled holds nothing worth keeping.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {granted, wait}
`,
};
