import { AuthorizationCode } from 'simple-oauth2';
import { TokenError } from './token-error';

/** An access token fresh from Zoho's accounts server. */
export interface MintedToken {
  value: string;
  /** Lifetime Zoho granted, in ms (expires_in). */
  lifetimeMs: number;
}

/** Mints access tokens. The token source is the only user; the proxy never sees this. */
export interface TokenClient {
  mint(): Promise<MintedToken>;
}

export interface ZohoTokenClientOptions {
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  timeoutMs: number;
}

const RATE_LIMIT_PATTERN = /access denied|too many requests/i;
const FATAL_ERRORS = new Set(['invalid_client', 'invalid_code', 'invalid_grant', 'unauthorized_client', 'invalid_client_secret']);

/**
 * Zoho's refresh-token grant through simple-oauth2. Zoho reports most failures as HTTP 200 with an
 * `error` field, so an answer is a token only if it carries `access_token`; everything else is
 * translated here into a TokenError and no simple-oauth2 or Wreck error escapes this module.
 */
export class ZohoTokenClient implements TokenClient {
  private readonly oauth: AuthorizationCode;

  constructor(private readonly options: ZohoTokenClientOptions) {
    this.oauth = new AuthorizationCode({
      client: { id: options.clientId, secret: options.clientSecret },
      auth: { tokenHost: options.accountsUrl, tokenPath: '/oauth/v2/token' },
      // Zoho does not accept HTTP Basic client authentication: the credentials go in the form body.
      options: { authorizationMethod: 'body', bodyFormat: 'form' },
      // Never follow a redirect from accounts: a redirect would carry our secrets elsewhere.
      http: { redirects: false, timeout: options.timeoutMs } as Record<string, unknown>,
    });
  }

  async mint(): Promise<MintedToken> {
    let answer: Record<string, unknown>;
    try {
      const refreshed = await this.oauth.createToken({ refresh_token: this.options.refreshToken }).refresh();
      answer = refreshed.token as Record<string, unknown>;
    } catch (err) {
      throw classifyTransportError(err);
    }
    return readTokenAnswer(answer, 200);
  }
}

/** Turns Zoho's answer body into a token or a TokenError. Exported for unit tests. */
export function readTokenAnswer(answer: Record<string, unknown>, httpStatus: number): MintedToken {
  const accessToken = answer.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw failureOf(answer, httpStatus);
  const expiresIn = Number(answer.expires_in);
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) throw new TokenError('transient', 'answer without a valid expires_in');
  return { value: accessToken, lifetimeMs: expiresIn * 1000 };
}

/** Sorts an answer that carries no token. Reasons quote Zoho's error code, never the body. */
function failureOf(answer: Record<string, unknown>, httpStatus: number): TokenError {
  const error = typeof answer.error === 'string' ? answer.error : '';
  const description = typeof answer.error_description === 'string' ? answer.error_description : '';
  if (RATE_LIMIT_PATTERN.test(error) || RATE_LIMIT_PATTERN.test(description) || httpStatus === 429) {
    return new TokenError('rate_limited', `${error || 'rate limited'} (HTTP ${httpStatus})`);
  }
  if (FATAL_ERRORS.has(error)) return new TokenError('fatal', error);
  if (httpStatus >= 300 && httpStatus < 400) return new TokenError('transient', `redirect (HTTP ${httpStatus}) not followed`);
  // Unknown errors may pass: retry later rather than declare the credentials dead.
  return new TokenError('transient', error ? `error ${error.slice(0, 60)} (HTTP ${httpStatus})` : `no access_token (HTTP ${httpStatus})`);
}

/** Wreck (under simple-oauth2) throws for 4xx/5xx, timeouts, network and JSON errors. */
interface WreckError {
  output?: { statusCode?: number };
  data?: { payload?: unknown; res?: { statusCode?: number } } | null;
  code?: string;
}

function classifyTransportError(err: unknown): TokenError {
  const e = err as WreckError;
  const status = e.data?.res?.statusCode;
  const payload = e.data?.payload;
  if (status !== undefined) {
    if (payload && typeof payload === 'object' && !Buffer.isBuffer(payload)) return failureOf(payload as Record<string, unknown>, status);
    return status === 429 ? new TokenError('rate_limited', 'HTTP 429') : new TokenError('transient', `HTTP ${status}`);
  }
  if (e.output?.statusCode === 504) return new TokenError('transient', 'timeout');
  // Only the error code: a network error's message may carry the URL.
  return new TokenError('transient', `network ${e.code ?? 'error or unreadable answer'}`);
}
