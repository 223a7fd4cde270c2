/**
 * Why the accounts server did not give us a token, sorted by what the caller of mint() should do:
 * - fatal: our credentials are wrong (invalid_client: wrong client or wrong DC; invalid_code:
 *   revoked refresh token). Retrying cannot help and burns the mint budget.
 * - rate_limited: Zoho's "too many requests"; every replica must stop asking for a while.
 * - transient: network error, timeout, 5xx, an unreadable answer. Worth a bounded retry.
 */
export type TokenFailureKind = 'fatal' | 'rate_limited' | 'transient';

export class TokenError extends Error {
  constructor(
    readonly kind: TokenFailureKind,
    /** A short, secret-free reason for the log, e.g. "invalid_client" or "HTTP 503". */
    readonly reason: string,
  ) {
    super(`token endpoint: ${kind} (${reason})`);
    this.name = 'TokenError';
  }
}
