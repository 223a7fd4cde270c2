import type { UpstreamResult } from './upstream-forwarder';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Whether an attempt may be sent again, and after how long.
 * Idempotent calls (GET, PUT, DELETE) retry on connection errors, 502/503/504 and 429.
 * A create retries only when the connection failed before any byte was sent: after that, Zoho
 * may have created the contact, and a second send could create it twice.
 */
export function nextAttemptDelay(
  idempotent: boolean,
  result: UpstreamResult,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (attempt >= policy.maxAttempts) return null;
  if (!result.ok) {
    if (result.kind === 'timeout') return null;
    if (result.kind === 'sent' && !idempotent) return null;
    return backoff(attempt, policy, random);
  }
  if (!idempotent) return null;
  if (result.status === 429) {
    const retryAfterMs = retryAfterToMs(result.retryAfter);
    return Math.max(retryAfterMs ?? 0, backoff(attempt, policy, random));
  }
  return RETRYABLE_STATUSES.has(result.status) ? backoff(attempt, policy, random) : null;
}

/** Exponential back-off with full jitter (AWS's "Exponential Backoff and Jitter"). */
function backoff(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterToMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
