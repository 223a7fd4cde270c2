import type { Clock } from '../oauth/clock';
import { waitForOneToken, type RateDecision, type RateLimiter, type RateLimitSettings } from './rate-limiter';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets in this process's memory: exact for one process, and the fallback of the Redis
 * limiter while Redis is away. One bucket per caller name; names come from the callers file, so
 * the map stays as small as that file.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly clock: Clock,
  ) {}

  take(caller: string): Promise<RateDecision> {
    return Promise.resolve(this.takeNow(caller));
  }

  takeNow(caller: string): RateDecision {
    const { ratePerSec, burst } = this.settings;
    const now = this.clock.now();
    const bucket = this.buckets.get(caller) ?? { tokens: burst, at: now };
    // A clock stepping back must not mint tokens nor take them away.
    const elapsedMs = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(burst, bucket.tokens + (elapsedMs / 1000) * ratePerSec);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: waitForOneToken(bucket.tokens, ratePerSec) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
