import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { Clock } from '../oauth/clock';
import type { RedisClient } from '../redis/connection';
import { redisKeys } from '../redis/keys';
import { MemoryRateLimiter } from './memory-rate-limiter';
import type { RateLimiter } from './rate-limiter';
import { RedisRateLimiter } from './redis-rate-limiter';

/**
 * Picks the rate limiter once, by configuration: none when RATE_LIMIT_RPS=0, shared through
 * Redis when REDIS_URL is set (tokens leased in chunks, not a round trip per request), this
 * process's memory otherwise.
 */
export function createRateLimiter(config: Config, clock: Clock, redis?: { client: RedisClient; log: Logger; onError?(): void }): RateLimiter | null {
  if (config.rateLimit.ratePerSec === 0) return null;
  const memory = new MemoryRateLimiter(config.rateLimit, clock);
  if (!config.redis || !redis) return memory;
  return new RedisRateLimiter({
    client: redis.client,
    keys: redisKeys(config.redis.keyPrefix),
    settings: config.rateLimit,
    fallback: memory,
    log: redis.log,
    clock,
    onError: redis.onError,
  });
}
