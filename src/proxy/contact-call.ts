import type { Response } from 'express';
import { normalizeBody } from '../contacts/normalize';
import { GatewayError } from '../errors/gateway-error';
import { callContextOf } from '../http/call-context';
import type { Logger } from '../logger';
import type { AccessTokenProvider, TokenLease } from '../oauth/access-token-provider';
import type { CircuitBreaker } from './circuit-breaker';
import { Deadline } from './deadline';
import { nextAttemptDelay, retryAfterToMs, type RetryPolicy } from './retry-policy';
import type { ContactRoute } from './routes';
import { ANSWER_TOO_LARGE, type UpstreamAnswer, type UpstreamForwarder, type UpstreamResult } from './upstream-forwarder';

/** A call ready to go upstream: everything in it was validated and built by the gateway. */
export interface PreparedCall {
  pathAndQuery: string;
  formBody?: string;
}

export interface ContactCallDeps {
  tokens: AccessTokenProvider;
  forwarder: UpstreamForwarder;
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  /** Whole-call deadline, token wait and retries included. */
  timeoutMs: number;
  log: Logger;
}

/** What the gateway tells the caller; the HTTP layer writes it. */
export interface CallAnswer {
  status: number;
  /** The normalized answer: UTF-8 JSON bytes, written as they are. */
  json: Buffer;
  /** Zoho's own Retry-After on a 429 it sent, passed on. */
  retryAfterSec?: number;
}

const TOKEN_REJECTED_CODE = /"code"\s*:\s*"INVALID_(?:OAUTH)?TOKEN"/;

/**
 * Runs one contact call against Zoho under one deadline (UPSTREAM_TIMEOUT_MS, 504 past it):
 * token, attempts with the retry policy's back-off (never sleeping past the deadline), the circuit
 * breaker consulted before each attempt, at most one resend with a fresh token when Zoho rejects
 * ours, and the normalized answer.
 */
export async function runContactCall(deps: ContactCallDeps, res: Response, call: PreparedCall): Promise<CallAnswer> {
  const context = callContextOf(res);
  const route = context.route!;
  if (deps.breaker.isOpen()) throw circuitOpen(deps.breaker);
  const deadline = new Deadline(deps.timeoutMs);

  let lease: TokenLease;
  try {
    lease = await beforeDeadline(deps.tokens.getAccessToken(), deadline);
  } catch (err) {
    deadline.clear();
    throw err;
  }
  context.tokenRefreshed = lease.refreshed;
  let tokenRetryUsed = false;
  const upstreamStarted = process.hrtime.bigint();
  let last: UpstreamResult | undefined;

  try {
    for (let attempt = 1; ; attempt++) {
      const permit = deps.breaker.acquire();
      if (!permit) {
        // Nothing sent yet, or only a rejected token (Zoho ran nothing): fail fast like any caller.
        if (!last || (last.ok && isTokenRejected(last))) throw circuitOpen(deps.breaker);
        return finalAnswer(route, last);
      }
      context.attempts = attempt;
      const result = await deps.forwarder.forward({
        method: route.method,
        pathAndQuery: call.pathAndQuery,
        token: lease.value,
        formBody: call.formBody,
        deadline,
      });
      last = result;
      if (isUpstreamFailure(result)) permit.failure();
      else permit.success();
      if (result.ok) context.upstreamStatus = result.status;

      if (result.ok && isTokenRejected(result)) {
        // Zoho refused the token itself, so the call did not run: safe to send once more, creates too.
        if (tokenRetryUsed) throw new GatewayError('UPSTREAM_TOKEN_REJECTED');
        tokenRetryUsed = true;
        await deps.tokens.reportRejected(lease.value);
        lease = await beforeDeadline(deps.tokens.getAccessToken(), deadline);
        context.tokenRefreshed = true;
        continue;
      }

      const delay = nextAttemptDelay(route.idempotent, result, attempt, deps.retry);
      // A retry that could not finish before the deadline is pointless: answer with what we have.
      if (delay !== null && delay < deadline.at - Date.now()) {
        deps.log.info(
          { request_id: context.requestId, route: route.name, attempt, failure: result.ok ? result.status : `${result.kind}:${result.code}`, delay_ms: delay },
          'upstream attempt failed; retrying',
        );
        await deadline.sleep(delay);
        if (!deadline.passed) continue;
      }
      return finalAnswer(route, result);
    }
  } finally {
    deadline.clear();
    context.upstreamMs = Number(process.hrtime.bigint() - upstreamStarted) / 1e6;
  }
}

/** Connection failures, timeouts and 5xx count against Zoho; any other answer shows it is up. */
function isUpstreamFailure(result: UpstreamResult): boolean {
  if (!result.ok) return result.code !== ANSWER_TOO_LARGE;
  return result.status >= 500;
}

function circuitOpen(breaker: CircuitBreaker): GatewayError {
  return new GatewayError('CIRCUIT_OPEN', { retryAfterSec: breaker.retryAfterSec() });
}

/** The token wait counts against the deadline too; a refresh still running finishes for the next call. */
function beforeDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  const late = () => new GatewayError('UPSTREAM_TIMEOUT', { cause: 'no access token before the deadline' });
  if (deadline.passed) return Promise.reject(late());
  return new Promise<T>((resolve, reject) => {
    const off = deadline.onPass(() => reject(late()));
    work.then(
      (value) => {
        off();
        resolve(value);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}

function finalAnswer(route: ContactRoute, result: UpstreamResult): CallAnswer {
  if (!result.ok) {
    if (result.code === ANSWER_TOO_LARGE) throw new GatewayError('UPSTREAM_BAD_RESPONSE', { cause: result.code });
    if (result.kind === 'timeout') throw new GatewayError('UPSTREAM_TIMEOUT');
    if (result.kind === 'not_sent') throw new GatewayError('UPSTREAM_UNREACHABLE', { cause: result.code });
    throw new GatewayError('UPSTREAM_OUTCOME_UNKNOWN', { cause: result.code });
  }
  const normalized = normalizeBody(result.body);
  if (!normalized.ok) {
    const cause = `HTTP ${result.status} ${result.contentType}`;
    // A proxy's error page in front of Zoho: for a create, Zoho may have run it before failing.
    if (!route.idempotent && result.status >= 500) throw new GatewayError('UPSTREAM_OUTCOME_UNKNOWN', { cause });
    throw new GatewayError('UPSTREAM_BAD_RESPONSE', { cause });
  }
  const retryAfterMs = result.status === 429 ? retryAfterToMs(result.retryAfter) : undefined;
  return { status: result.status, json: normalized.json, retryAfterSec: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000) };
}

/** Zoho's ways of saying "not this token": 401, an INVALID_OAUTHTOKEN body, or its HTML login page. */
function isTokenRejected(answer: UpstreamAnswer): boolean {
  if (answer.status === 401) return true;
  // A login page served instead of JSON; an HTML 5xx is a proxy's error page, not about the token.
  if (answer.status < 300 && answer.contentType.includes('text/html')) return true;
  // Error answers are small; a full page of contacts is never a token error.
  return answer.body.length < 1024 && TOKEN_REJECTED_CODE.test(answer.body.toString('utf8'));
}
