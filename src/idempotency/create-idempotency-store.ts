import type { Config } from '../config/config';
import type { Clock } from '../oauth/clock';
import type { RedisClient } from '../redis/connection';
import { redisKeys } from '../redis/keys';
import type { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';

/** Picks the idempotency store once: process memory without REDIS_URL, the shared Redis otherwise. */
export function createIdempotencyStore(config: Config, clock: Clock, redis?: RedisClient): IdempotencyStore {
  const ttlMs = config.idempotencyTtlSec * 1000;
  if (!config.redis) return new MemoryIdempotencyStore({ ttlMs, clock });
  if (!redis) throw new Error('createIdempotencyStore: REDIS_URL is set but no Redis client was given');
  return new RedisIdempotencyStore({ client: redis, keys: redisKeys(config.redis.keyPrefix), ttlMs, clock });
}
