/**
 * Zoho Accounts: POST /oauth/v2/token with grant_type=refresh_token, and the access tokens it mints.
 *
 * Zoho answers most token failures with HTTP 200 and {"error":"..."}, so a client must read the
 * body, not just the status. Choices (documented for the gateway's tests):
 *  - client_id/client_secret/refresh_token are read from the x-www-form-urlencoded BODY only.
 *    Credentials sent only via HTTP Basic (or only in the query string) → 200 {"error":"invalid_client"}.
 *  - grant_type other than refresh_token → 200 {"error":"unsupported_grant_type"}.
 *  - mintLimit counts SUCCESSFUL mints in a sliding window; refused calls do not count.
 */
import { randomBytes } from 'node:crypto';
import { jsonResponse, mediaType, type SimResponse } from './http-util';
import { jsonObj, jsonSafeNumber, jsonStr } from './json-text';

export interface AccountsConfig {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  tokenLifetimeSec: number;
  mintLimit: { count: number; windowMs: number } | null;
}

export const RATE_LIMIT_BODY = jsonObj([
  ['error', jsonStr('Access Denied')],
  ['error_description', jsonStr('You have made too many requests continuously. Please try again after some time.')],
  ['status', jsonStr('failure')],
]);

export function tokenError(error: string, status = 200): SimResponse {
  return jsonResponse(status, jsonObj([['error', jsonStr(error)]]));
}

interface IssuedToken {
  expiresAt: number;
  revoked: boolean;
}

export class TokenAuthority {
  private issued = new Map<string, IssuedToken>(); // insertion order = mint order
  private mintTimes: number[] = [];
  private refreshRevoked = false;

  constructor(private readonly cfg: AccountsConfig) {}

  handleTokenRequest(headers: Record<string, string | string[] | undefined>, body: string, now = Date.now()): SimResponse {
    const form = mediaType(headers['content-type']) === 'application/x-www-form-urlencoded' ? new URLSearchParams(body) : new URLSearchParams();
    const clientId = form.get('client_id');
    const clientSecret = form.get('client_secret');
    // Also covers "credentials only in Authorization: Basic": the body lacks them, Zoho ignores Basic.
    if (clientId !== this.cfg.clientId || clientSecret !== this.cfg.clientSecret) return tokenError('invalid_client');
    if (form.get('grant_type') !== 'refresh_token') return tokenError('unsupported_grant_type');
    if (this.refreshRevoked || form.get('refresh_token') !== this.cfg.refreshToken) return tokenError('invalid_code');

    const limit = this.cfg.mintLimit;
    if (limit) {
      this.mintTimes = this.mintTimes.filter((t) => now - t < limit.windowMs);
      if (this.mintTimes.length >= limit.count) return jsonResponse(200, RATE_LIMIT_BODY);
    }
    return jsonResponse(200, this.mint(now));
  }

  private mint(now: number): string {
    const token = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
    this.issued.set(token, { expiresAt: now + this.cfg.tokenLifetimeSec * 1000, revoked: false });
    this.mintTimes.push(now);
    return jsonObj([
      ['access_token', jsonStr(token)],
      ['api_domain', jsonStr('https://www.zohoapis.com')],
      ['token_type', jsonStr('Bearer')],
      ['expires_in', jsonSafeNumber(this.cfg.tokenLifetimeSec)],
    ]);
  }

  /** True for a token this simulator minted, not expired and not revoked. */
  isValid(token: string | undefined, now = Date.now()): boolean {
    if (token === undefined) return false;
    const t = this.issued.get(token);
    return t !== undefined && !t.revoked && now < t.expiresAt;
  }

  issuedTokens(): string[] {
    return [...this.issued.keys()];
  }

  revoke(token: string): void {
    const t = this.issued.get(token);
    if (t) t.revoked = true;
  }

  revokeAll(): void {
    for (const t of this.issued.values()) t.revoked = true;
  }

  expireAll(now = Date.now()): void {
    for (const t of this.issued.values()) t.expiresAt = Math.min(t.expiresAt, now);
  }

  /** Makes the configured refresh token answer invalid_code until reset(). */
  revokeRefreshToken(): void {
    this.refreshRevoked = true;
  }

  reset(): void {
    this.issued = new Map();
    this.mintTimes = [];
    this.refreshRevoked = false;
  }
}

/** The token from `Authorization: Zoho-oauthtoken <token>`; any other scheme yields undefined. */
export function zohoOauthToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Zoho-oauthtoken ([^\s]+)$/.exec(value ?? '');
  return m?.[1];
}
