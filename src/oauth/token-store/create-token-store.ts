import type { Config } from '../../config/config';
import type { Logger } from '../../logger';
import type { RedisClient } from '../../redis/connection';
import { redisKeys } from '../../redis/keys';
import type { Clock } from '../clock';
import { createSealer } from '../sealed';
import { MemoryTokenStore } from './memory-token-store';
import { RedisTokenStore } from './redis-token-store';
import type { TokenStore } from './token-store';

/**
 * Picks the token store once, by configuration: process memory without REDIS_URL, otherwise the
 * fleet's store on the gateway's shared Redis connection. A bad encryption key fails start-up
 * here, before anything is written.
 */
export async function createTokenStore(config: Config, clock: Clock, redis?: { client: RedisClient; log: Logger }): Promise<TokenStore> {
  if (!config.redis) return new MemoryTokenStore(clock);
  if (!redis) throw new Error('createTokenStore: REDIS_URL is set but no Redis client was given');
  return RedisTokenStore.create({
    client: redis.client,
    keys: redisKeys(config.redis.keyPrefix),
    sealer: createSealer(config.redis),
    clock,
    log: redis.log,
  });
}
