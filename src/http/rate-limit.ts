import type { RequestHandler } from 'express';
import { GatewayError } from '../errors/gateway-error';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import { callContextOf } from './call-context';

/** The one bucket of sidecar mode, where calls carry no caller name. */
export const SIDECAR_BUCKET = 'sidecar';

/**
 * Per-caller rate limit, after authentication (so the bucket is the caller's, and an unknown
 * key cannot drain a real caller's bucket). A refused call gets 429 with Retry-After in whole
 * seconds, and nothing goes upstream. `null` (RATE_LIMIT_RPS=0) turns the limit off.
 */
export function rateLimit(limiter: RateLimiter | null): RequestHandler {
  if (limiter === null) return (_req, _res, next) => next();
  return async (_req, res, next) => {
    const decision = await limiter.take(callContextOf(res).caller ?? SIDECAR_BUCKET);
    if (!decision.allowed) {
      throw new GatewayError('RATE_LIMITED', { retryAfterSec: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) });
    }
    next();
  };
}
