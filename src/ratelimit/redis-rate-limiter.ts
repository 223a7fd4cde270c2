import type { Logger } from '../logger';
import { describeRedisError, type RedisClient } from '../redis/connection';
import type { RedisKeys } from '../redis/keys';
import { TAKE_TOKEN } from '../redis/lua/rate-limit-scripts';
import type { MemoryRateLimiter } from './memory-rate-limiter';
import type { RateDecision, RateLimiter, RateLimitSettings } from './rate-limiter';

type TakeCommand = (key: string, ratePerSec: number, burst: number) => Promise<[number, number]>;

export interface RedisRateLimiterOptions {
  client: RedisClient;
  keys: RedisKeys;
  settings: RateLimitSettings;
  /** Used while Redis is unreachable: each replica then limits on its own. */
  fallback: MemoryRateLimiter;
  log: Logger;
  /** Called on each failed Redis round trip (metrics). */
  onError?(): void;
}

/**
 * Token buckets in Redis, one per caller, so the limit holds for the whole fleet rather than per
 * replica. One script call (EVALSHA) per request: the refill and the take are one atomic step.
 *
 * While Redis is away the limiter falls back to this replica's memory buckets instead of refusing
 * every call (or letting every call through), and says so once per outage.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;
  private readonly takeToken: TakeCommand;
  private outage = false;

  constructor(private readonly opts: RedisRateLimiterOptions) {
    const client = opts.client as unknown as Record<string, TakeCommand>;
    if (!(TAKE_TOKEN.name in client)) opts.client.defineCommand(TAKE_TOKEN.name, { numberOfKeys: TAKE_TOKEN.numberOfKeys, lua: TAKE_TOKEN.lua });
    this.takeToken = client[TAKE_TOKEN.name]!.bind(opts.client);
  }

  async take(caller: string): Promise<RateDecision> {
    const { ratePerSec, burst } = this.opts.settings;
    try {
      const [allowed, waitMs] = await this.takeToken(this.opts.keys.rateLimit(caller), ratePerSec, burst);
      if (this.outage) {
        this.outage = false;
        this.opts.log.info('rate limit shared through Redis again');
      }
      return { allowed: allowed === 1, retryAfterMs: waitMs };
    } catch (err) {
      this.opts.onError?.();
      if (!this.outage) {
        this.outage = true;
        this.opts.log.warn({ reason: describeRedisError(err) }, 'rate limit: Redis unavailable, limiting per replica until it is back');
      }
      return this.opts.fallback.takeNow(caller);
    }
  }

  /** The connection is the gateway's, closed by its owner. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
