/** The answer of one bucket for one request. */
export interface RateDecision {
  allowed: boolean;
  /** When refused: how long until one request's worth of tokens is back (ms). */
  retryAfterMs: number;
}

/**
 * A per-caller token bucket: `ratePerSec` tokens flow in per second up to `burst`; each request
 * takes one. Implementations: memory (one process) and Redis (shared by every replica).
 */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  take(caller: string): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface RateLimitSettings {
  ratePerSec: number;
  burst: number;
}

/** Time until one token is back, given `tokens` now (< 1). */
export function waitForOneToken(tokens: number, ratePerSec: number): number {
  return Math.ceil(((1 - tokens) / ratePerSec) * 1000);
}
