import { backoff, nextAttemptDelay, retryAfterToMs, type RetryPolicy } from '../../src/proxy/retry-policy';
import { ANSWER_TOO_LARGE, type UpstreamResult } from '../../src/proxy/upstream-forwarder';

const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 };
const answer = (status: number, retryAfter?: string): UpstreamResult => ({ ok: true, status, contentType: 'application/json', retryAfter, body: Buffer.from('{}') });
const failure = (kind: 'not_sent' | 'sent' | 'timeout', code = 'ECONNRESET'): UpstreamResult => ({ ok: false, kind, code });
const top = () => 0.999999;

describe('which failures an idempotent call (GET, PUT, DELETE) retries', () => {
  test.each([502, 503, 504])('when Zoho answers %i, then it retries', (status) => {
    expect(nextAttemptDelay(true, answer(status), 1, policy, top)).toBe(99);
  });
  test.each([200, 400, 401, 404, 500])('when Zoho answers %i, then it does not', (status) => {
    expect(nextAttemptDelay(true, answer(status), 1, policy, top)).toBeNull();
  });
  test('when the connection broke before or after sending, then it retries', () => {
    expect(nextAttemptDelay(true, failure('not_sent', 'ECONNREFUSED'), 1, policy, top)).toBe(99);
    expect(nextAttemptDelay(true, failure('sent'), 1, policy, top)).toBe(99);
  });
  test('when the deadline passed, or the answer was too large, then it does not', () => {
    expect(nextAttemptDelay(true, failure('timeout', 'EDEADLINE'), 1, policy, top)).toBeNull();
    expect(nextAttemptDelay(true, failure('sent', ANSWER_TOO_LARGE), 1, policy, top)).toBeNull();
  });
  test('when a 429 says Retry-After: 2, then it waits at least 2 s, whatever the back-off', () => {
    expect(nextAttemptDelay(true, answer(429, '2'), 1, policy, () => 0)).toBe(2000);
    expect(nextAttemptDelay(true, answer(429), 1, policy, top)).toBe(99);
  });
  test('when the attempts are used up, then it stops', () => {
    expect(nextAttemptDelay(true, answer(502), 3, policy, top)).toBeNull();
  });
});

describe('a create (POST) retries only when nothing was sent', () => {
  test('when the connection was refused before any byte left, then it retries', () => {
    expect(nextAttemptDelay(false, failure('not_sent', 'ECONNREFUSED'), 1, policy, top)).toBe(99);
  });
  test('when the connection broke after sending, timed out, or Zoho answered anything, then it does not', () => {
    expect(nextAttemptDelay(false, failure('sent'), 1, policy, top)).toBeNull();
    expect(nextAttemptDelay(false, failure('timeout', 'EDEADLINE'), 1, policy, top)).toBeNull();
    for (const status of [429, 500, 502, 503, 504]) expect(nextAttemptDelay(false, answer(status, '1'), 1, policy, top)).toBeNull();
  });
});

describe('exponential back-off with full jitter', () => {
  test('the ceiling doubles per attempt and stops at the cap; the delay is uniform below it', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoff(a, policy, top))).toEqual([99, 199, 399, 799, 1599, 1999]);
    expect(backoff(3, policy, () => 0)).toBe(0);
    expect(backoff(3, policy, () => 0.5)).toBe(200);
  });
});

describe('Retry-After', () => {
  test('seconds and HTTP dates are understood; anything else is ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterToMs('3', now)).toBe(3000);
    expect(retryAfterToMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterToMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(retryAfterToMs('soon', now)).toBeUndefined();
    expect(retryAfterToMs(undefined, now)).toBeUndefined();
  });
});
