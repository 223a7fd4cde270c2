import type { Config } from '../config/config';
import type { Clock } from '../oauth/clock';
import { MemoryRateLimiter } from './memory-rate-limiter';
import type { RateLimiter } from './rate-limiter';

/** Picks the rate limiter once, by configuration: none when RATE_LIMIT_RPS=0, memory otherwise. */
export function createRateLimiter(config: Config, clock: Clock): RateLimiter | null {
  if (config.rateLimit.ratePerSec === 0) return null;
  return new MemoryRateLimiter(config.rateLimit, clock);
}
