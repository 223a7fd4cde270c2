import { ANSWER_TOO_LARGE, type UpstreamResult } from './upstream-forwarder';

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Statuses a proxy or an overloaded server answers without having run the call. */
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Whether an attempt may be sent again, and after how long (ms); null: do not retry.
 *
 * Idempotent calls (GET, PUT, DELETE) retry on connection errors, on 502/503/504 and on 429
 * (waiting at least its Retry-After). A create retries only when the connection failed before
 * any byte was sent: after that Zoho may have created the contact, and a second send could
 * create it twice. Nothing retries after the deadline passed (`timeout`). The caller also checks
 * that the delay fits in what is left of the deadline.
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
    if (result.kind === 'timeout' || result.code === ANSWER_TOO_LARGE) return null;
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

/**
 * Exponential back-off with full jitter (AWS's "Exponential Backoff and Jitter"): a uniform
 * delay in [0, min(max, base * 2^(attempt-1))), so retries of many callers spread out instead of
 * arriving together.
 */
export function backoff(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After in seconds or as an HTTP date, in ms from `now`; undefined when absent or malformed. */
export function retryAfterToMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
