/**
 * The Lua script of the per-caller rate limit: one token bucket per caller, shared by every
 * replica. One key per caller (`{rl:<caller>}`, see keys.ts), so it runs on a Redis Cluster too.
 */
import type { LuaScript } from './token-scripts';

export const TAKE_TOKEN: LuaScript = {
  name: 'zvgwRateLimitTake',
  numberOfKeys: 1,
  lua: `
-- takeToken-1: refill the caller's bucket for the time passed, then take one token if there is one.
-- KEYS[1]  the caller's bucket (hash: tokens, at)
-- ARGV[1]  rate, tokens per second (may be fractional)   ARGV[2] burst (bucket size)
-- returns  {1, 0} when taken, {0, ms until one token is back} when refused
-- Time is Redis's own (TIME), so replicas whose clocks disagree still share one bucket fairly.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
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
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
-- A bucket that has refilled holds nothing worth keeping.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {allowed, wait}
`,
};
