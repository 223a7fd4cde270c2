import cluster from 'node:cluster';
import type { Config } from '../config/config';
import type { Clock } from '../oauth/clock';
import type { RedisClient } from '../redis/connection';
import { redisKeys } from '../redis/keys';
import type { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import { UnsharedIdempotencyStore } from './unshared-idempotency-store';

/**
 * Picks the idempotency store once: the shared Redis with REDIS_URL, process memory without it —
 * unless this process is one of several node:cluster workers, whose memories would not be shared
 * (then keyed creates are refused rather than risk a second create).
 */
export function createIdempotencyStore(config: Config, clock: Clock, redis?: RedisClient, isClusterWorker: boolean = cluster.isWorker): IdempotencyStore {
  const ttlMs = config.idempotencyTtlSec * 1000;
  if (config.redis) {
    if (!redis) throw new Error('createIdempotencyStore: REDIS_URL is set but no Redis client was given');
    return new RedisIdempotencyStore({ client: redis, keys: redisKeys(config.redis.keyPrefix), ttlMs, clock });
  }
  return isClusterWorker ? new UnsharedIdempotencyStore() : new MemoryIdempotencyStore({ ttlMs, clock });
}
