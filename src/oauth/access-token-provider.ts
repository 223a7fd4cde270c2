/** What a forwarded call gets: a token to inject, and whether it had to wait for a new one. */
export interface TokenLease {
  readonly value: string;
  /** True when this call waited for a refresh (or adopted a token another replica minted). */
  readonly refreshed: boolean;
}

/**
 * The narrow face the proxy depends on. It knows nothing of stores, locks or OAuth clients.
 */
export interface AccessTokenProvider {
  /** A token valid for the next upstream call; rejects with a GatewayError when none can be had. */
  getAccessToken(): Promise<TokenLease>;
  /** Zoho rejected `value`: forget that token (and only that one) so the next call gets a new one. */
  reportRejected(value: string): Promise<void>;
}
